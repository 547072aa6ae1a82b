import { PreprocessError } from '../../../../ec2-avhubert/src/preprocess/errors';
import { decodeSize, decodeVideoFrames } from '../../../../ec2-avhubert/src/preprocess/ffmpeg';
import { firstLine, frameRate, probe, type MediaTools } from '../media';
import type { FaceFinder } from './face-finder';
import { toFaceDetail, type FoundFace, type RekognitionFaceDetail, type RgbFrame } from './face-record';

export interface VideoMetadata {
  Codec: string;
  DurationMillis: number;
  Format: string;
  FrameRate: number;
  FrameHeight: number;
  FrameWidth: number;
  ColorRange: 'FULL' | 'LIMITED';
}

export interface FaceDetection {
  /** Milliseconds from the start of the video. */
  Timestamp: number;
  Face: RekognitionFaceDetail;
}

/** The video cannot be analysed; the message becomes the job's StatusMessage. */
export class VideoRejectedError extends Error {
  override readonly name = 'VideoRejectedError';
}

export interface DetectOptions {
  tools: MediaTools;
  finder: FaceFinder;
  attributes: 'DEFAULT' | 'ALL';
  /** Rekognition reports faces about five times a second. */
  intervalMs?: number;
  /**
   * Run the face detector on every this many sampled frames (and whenever a face is lost);
   * in between, each face is followed by its landmarks alone. Default 5: once a second.
   */
  detectEvery?: number;
  /** Frames are analysed at most this tall (aspect kept). Default 720. */
  maxHeight?: number;
  signal?: AbortSignal;
  onFrame?: (sampled: number) => void;
}

/** Containers and codec Rekognition Video takes (ffprobe's names). */
const SUPPORTED_CONTAINERS = ['mov', 'mp4'];
const SUPPORTED_CODECS = ['h264'];

/**
 * Samples a video every `intervalMs`, decoding with ffmpeg to RGB frames streamed from its
 * stdout, and finds the faces on each sampled frame, as StartFaceDetection does.
 */
export async function detectFacesInVideo(
  filePath: string,
  options: DetectOptions,
): Promise<{ metadata: VideoMetadata; faces: FaceDetection[] }> {
  const intervalMs = options.intervalMs ?? 200;
  const probed = await probe(filePath, options.tools, options.signal);
  if (!probed) {
    throw new VideoRejectedError(
      'The video could not be decoded: it is empty, truncated or not a video file. Upload an MP4 or MOV file with H.264 video.',
    );
  }
  const video = probed.streams.find((stream) => stream.codec_type === 'video' && !stream.disposition?.attached_pic);
  if (!video?.width || !video.height) {
    throw new VideoRejectedError(
      'The file has no video stream. Face detection needs an MP4 or MOV file with H.264 video.',
    );
  }
  const container = probed.formatName.split(',');
  if (
    !SUPPORTED_CONTAINERS.some((name) => container.includes(name)) ||
    !SUPPORTED_CODECS.includes(video.codec_name ?? '')
  ) {
    throw new VideoRejectedError(
      `Unsupported codec/format: ${video.codec_name ?? 'unknown codec'} in ${probed.formatLongName || probed.formatName}. Amazon Rekognition Video takes H.264 in MP4 or MOV; re-encode the video.`,
    );
  }
  const metadata: VideoMetadata = {
    Codec: video.codec_name ?? 'h264',
    DurationMillis: Math.round((probed.durationSec || Number(video.duration ?? 0)) * 1000),
    Format: probed.formatLongName,
    FrameRate: frameRate(video.avg_frame_rate) || frameRate(video.r_frame_rate),
    FrameHeight: video.height,
    FrameWidth: video.width,
    ColorRange: video.color_range === 'pc' ? 'FULL' : 'LIMITED',
  };
  const [sarNum, sarDen] = (video.sample_aspect_ratio ?? '1:1').split(':').map(Number);
  const displayWidth = Math.round(video.width * (sarNum && sarDen ? sarNum / sarDen : 1));
  const size = decodeSize({ width: displayWidth, height: video.height }, options.maxHeight ?? 720);

  const faces: FaceDetection[] = [];
  const follower = new FaceFollower(options.finder, options.detectEvery ?? 5);
  let index = 0;
  try {
    for await (const frame of decodeVideoFrames(filePath, size, 1000 / intervalMs, options.tools, {
      demuxer: probed.demuxer,
      signal: options.signal,
    })) {
      options.signal?.throwIfAborted();
      const timestamp = Math.round(index * intervalMs);
      for (const face of await follower.next(frame)) {
        faces.push({ Timestamp: timestamp, Face: toFaceDetail(face, frame, options.attributes) });
      }
      index++;
      options.onFrame?.(index);
    }
  } catch (error) {
    if (options.signal?.aborted) throw error;
    if (error instanceof PreprocessError) throw new VideoRejectedError(firstLine(error.message));
    throw error;
  }
  if (index === 0) {
    throw new VideoRejectedError('The video stream has no frames to decode. Upload a video that plays.');
  }
  return { metadata, faces };
}

/**
 * Which faces each sampled frame shows: the detector on a schedule, the landmarks in between.
 * A face that appears between detections is found at the next one (within `detectEvery`
 * samples); a followed face that is lost brings the detector forward to that very frame.
 */
export class FaceFollower {
  private faces: FoundFace[] = [];
  private sinceDetection = Number.POSITIVE_INFINITY;

  constructor(
    private readonly finder: FaceFinder,
    private readonly detectEvery: number,
  ) {}

  async next(frame: RgbFrame): Promise<FoundFace[]> {
    if (this.sinceDetection + 1 < this.detectEvery) {
      const followed = await this.finder.follow(frame, this.faces);
      if (followed.every((face) => face !== null)) {
        this.faces = followed as FoundFace[];
        this.sinceDetection++;
        return this.faces;
      }
    }
    this.faces = await this.finder.find(frame);
    this.sinceDetection = 0;
    return this.faces;
  }
}
