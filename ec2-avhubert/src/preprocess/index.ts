import { MAX_CHUNK_SECONDS, planSpeechChunks, planWholeTimeline, type FrameSpan, type TimeSpan } from './chunking';
import { PreprocessError } from './errors';
import type { FaceApiOptions, LandmarkEngine } from './face-landmarks';
import {
  decodeAudio,
  decodeSize,
  decodeVideoFrames,
  defaultMediaTools,
  probeMedia,
  type MediaRunLimits,
  type MediaTools,
} from './ffmpeg';
import { LogFilterbank, SAMPLE_RATE, stackedAudioFeatures } from './filterbank';
import {
  centredMovingAverage,
  LandmarkInterpolator,
  LandmarkSmoother,
  mouthOpening,
  type Landmarks,
  type ResolvedFrame,
  type SmoothedFrame,
} from './landmark-track';
import { createDlibEngine } from './dlib-landmarks';
import { defaultLandmarkEngine } from './landmark-workers';
import { FPS, ROI_SIZE, SMOOTHING_WINDOW } from './mean-face';
import { roiGeometry, warpRoi, type RgbFrame, type RoiGeometry } from './roi';
import { EnergySpeechDetector } from './speech';
import { FaceTracker } from './tracker';

export { PreprocessError, type PreprocessFailureReason } from './errors';
export { AUDIO_FEATURE_DIM } from './filterbank';
export { createDlibEngine } from './dlib-landmarks';
export { createFaceApiEngine, type LandmarkEngine } from './face-landmarks';
export { createWorkerLandmarkEngine, defaultLandmarkEngine, disposeDefaultLandmarkEngine } from './landmark-workers';
export { ROI_SIZE } from './mean-face';
export { MAX_CHUNK_SECONDS, type TimeSpan } from './chunking';

const ROI_PIXELS = ROI_SIZE * ROI_SIZE;

export interface PreprocessOptions {
  fps?: 25;
  /** Run the face detector every this many frames (and whenever the face is lost). Default 10. */
  detectEvery?: number;
  /** Longest chunk, in seconds. Default 15 (LRS3's longest utterances). */
  maxChunkSeconds?: number;
  /**
   * Speech in the video (seconds): chunks cover these and nothing else; empty means no speech
   * (no chunks). Absent: the server's energy detector finds it in the audio track; a video
   * without one is read whole.
   */
  speechSegments?: ReadonlyArray<TimeSpan>;
  /** Also compute the 104-dim audio features (for AVSR). Default false. */
  withAudio?: boolean;
  /** Sees each 88x88 gray ROI (8-bit) as it is made, e.g. to write a preview. */
  onRoiFrame?: (frameIndex: number, roi88: Uint8Array) => void;
  /** Sees each frame's landmarks (source pixels) and alignment, e.g. for checks and overlays. */
  onAlignedFrame?: (frame: AlignedFrame) => void;
  /**
   * Face detection and landmarks; default by `landmarks`: dlib's HOG detector and 68-point
   * predictor (the AV-HuBERT recipe), or `defaultLandmarkEngine()`, face-api on tfjs-wasm in
   * worker threads. Either is started once per process.
   */
  engine?: LandmarkEngine;
  /** Which engine when none is given. Default 'dlib'. */
  landmarks?: 'dlib' | 'face-api';
  faceApi?: FaceApiOptions;
  /** ffmpeg/ffprobe binaries; default `defaultMediaTools()` (the static build). */
  mediaTools?: MediaTools;
  /** Stops preprocessing: kills the probe or the decoders at once (a job stopped or timed out). */
  signal?: AbortSignal;
  /** Frames are decoded at most this tall (aspect kept) to bound memory. Default 720. */
  maxDecodeHeight?: number;
  /** Frames the landmark net sees per call. Default 8. */
  batchSize?: number;
  /** A face missing this many frames running is not interpolated across. Default 100 (4 s). */
  maxGapFrames?: number;
}

export interface PreprocessedChunk {
  /** Seconds. */
  start: number;
  end: number;
  startFrame: number;
  frames: number;
  /** frames x 88 x 88, normalised. */
  video: Float32Array;
  /** frames x 104, layer-normalised (only with `withAudio`). */
  audio?: Float32Array;
  faceFoundRatio: number;
}

export interface PreprocessTimings {
  totalMs: number;
  /** Waiting for ffmpeg to hand over frames. */
  decodeWaitMs: number;
  detectMs: number;
  landmarkMs: number;
  /** Interpolation, smoothing, transform and ROI warping. */
  alignMs: number;
  audioMs: number;
  detections: number;
}

/** Where the speech the chunks follow came from. */
export interface SpeechFacts {
  /** 'request': the caller's segments; 'energy': the server's detector; 'no audio': read whole. */
  source: 'request' | 'energy' | 'no audio';
  segments: TimeSpan[];
}

export interface PreprocessResult {
  fps: number;
  totalFrames: number;
  durationSec: number;
  faceFoundFrames: number;
  speech: SpeechFacts;
  /** Frames inside chunks (the rest is silence, not read). */
  chunkFrames: number;
  /** Inner-lip opening over mouth width per frame (0 where no face was near). */
  mouthOpening: number[];
  chunks: PreprocessedChunk[];
  timings?: PreprocessTimings;
}

export interface AlignedFrame {
  frameIndex: number;
  /** A face was found on this very frame (not interpolated). */
  detected: boolean;
  landmarks: Landmarks | null;
  geometry: RoiGeometry | null;
}

export type PreprocessStreamItem =
  | { type: 'start'; durationSec: number; speech: SpeechFacts }
  | { type: 'chunk'; chunk: PreprocessedChunk }
  | { type: 'done'; summary: Omit<PreprocessResult, 'chunks'> };

/** The whole video at once: every chunk in memory. See `preprocessVideoStream` for long videos. */
export async function preprocessVideo(filePath: string, options: PreprocessOptions = {}): Promise<PreprocessResult> {
  const chunks: PreprocessedChunk[] = [];
  for await (const item of preprocessVideoStream(filePath, options)) {
    if (item.type === 'chunk') chunks.push(item.chunk);
    else if (item.type === 'done') return { ...item.summary, chunks };
  }
  throw new Error('preprocessVideoStream ended without a summary');
}

/**
 * AV-HuBERT's preprocessing as a stream: each chunk is yielded as soon as its frames are
 * aligned, then a summary. Frames are held only for the smoothing window and for gaps
 * without a face (at most `maxGapFrames`). A video without any face throws `no_face` at the
 * end, after its chunks.
 */
export async function* preprocessVideoStream(
  filePath: string,
  options: PreprocessOptions = {},
): AsyncGenerator<PreprocessStreamItem> {
  const started = performance.now();
  const fps = options.fps ?? FPS;
  const tools = options.mediaTools ?? defaultMediaTools();
  const { signal } = options;
  const probe = await probeMedia(filePath, tools, { signal });
  if (!probe.hasVideo) {
    throw new PreprocessError(
      'no_frames',
      'The file has no video stream (audio only?). Lip reading needs a video of the speaker’s face.',
    );
  }
  const size = decodeSize(probe, options.maxDecodeHeight ?? 720);
  const maxChunkSeconds = options.maxChunkSeconds ?? MAX_CHUNK_SECONDS;
  const estimatedFrames = Math.max(1, Math.round(probe.durationSec * fps));
  const timings: PreprocessTimings = {
    totalMs: 0,
    decodeWaitMs: 0,
    detectMs: 0,
    landmarkMs: 0,
    alignMs: 0,
    audioMs: 0,
    detections: 0,
  };

  const limits = { signal, demuxer: probe.demuxer };
  // Without segments the audio is read first: the energy detector decides where the chunks go.
  const detector = !options.speechSegments && probe.hasAudio ? new EnergySpeechDetector(SAMPLE_RATE) : null;
  const audio =
    options.withAudio || detector
      ? startAudio(filePath, probe.hasAudio, tools, timings, limits, detector, options.withAudio)
      : null;
  audio?.catch(() => undefined);
  let speech: SpeechFacts;
  if (options.speechSegments) speech = { source: 'request', segments: [...options.speechSegments] };
  else if (detector && audio) {
    await audio;
    speech = { source: 'energy', segments: detector.segments() };
  } else speech = { source: 'no audio', segments: [{ start: 0, end: estimatedFrames / fps }] };
  const plan =
    speech.source === 'no audio'
      ? planWholeTimeline(estimatedFrames, fps, { maxChunkSeconds })
      : planSpeechChunks(estimatedFrames, fps, speech.segments, { maxChunkSeconds });

  const engine =
    options.engine ??
    (options.landmarks === 'face-api' ? await defaultLandmarkEngine(options.faceApi) : await createDlibEngine());
  const tracker = new FaceTracker(engine, Math.max(1, options.detectEvery ?? 10));
  const interpolator = new LandmarkInterpolator(options.maxGapFrames ?? 100);
  const smoother = new LandmarkSmoother(SMOOTHING_WINDOW);
  yield { type: 'start', durationSec: probe.durationSec, speech };
  const maxChunkFrames = Math.max(1, Math.floor(maxChunkSeconds * fps));
  // A video without audio is read to its last real frame, whatever the container's duration said.
  const assembler = new ChunkAssembler(plan, speech.source === 'no audio' ? maxChunkFrames : 0);
  const scratch = new Float32Array(ROI_PIXELS);
  let chunkFrames = 0;
  const held = new Map<number, RgbFrame>();
  const rawOpening: number[] = [];
  let faceFoundFrames = 0;
  let nextIndex = 0;

  const align = (frames: SmoothedFrame[]) => {
    for (const frame of frames) {
      const image = held.get(frame.index);
      if (!image) throw new Error(`Frame ${frame.index} was aligned twice or never decoded`);
      held.delete(frame.index);
      // Frames outside every chunk (silence) are aligned for the mouth opening but never read.
      const target = assembler.slot(frame.index) ?? { video: scratch, offset: 0, inChunk: false };
      let geometry: RoiGeometry | null = null;
      if (frame.landmarks && frame.smoothed) {
        geometry = roiGeometry(frame.landmarks, frame.smoothed);
        const onRoiFrame = options.onRoiFrame;
        const bytes = onRoiFrame ? new Uint8Array(ROI_PIXELS) : undefined;
        if (target.inChunk || bytes) warpRoi(image, geometry, target.video, target.offset, bytes);
        if (onRoiFrame && bytes) onRoiFrame(frame.index, bytes);
        rawOpening[frame.index] = mouthOpening(frame.landmarks);
      } else {
        // No face anywhere near: a flat frame at the normalised mean (0).
        target.video.fill(0, target.offset, target.offset + ROI_PIXELS);
        options.onRoiFrame?.(frame.index, new Uint8Array(ROI_PIXELS).fill(Math.round(0.421 * 255)));
        rawOpening[frame.index] = 0;
      }
      if (frame.detected) faceFoundFrames++;
      if (target.inChunk) {
        chunkFrames++;
        assembler.commit(frame.detected);
      }
      options.onAlignedFrame?.({
        frameIndex: frame.index,
        detected: frame.detected,
        landmarks: frame.landmarks,
        geometry,
      });
    }
  };
  const resolve = (frames: ResolvedFrame[]) => {
    for (const frame of frames) align(smoother.push(frame));
  };
  const alignBatch = (batch: RgbFrame[], landmarks: Array<Landmarks | null>) => {
    const alignStarted = performance.now();
    for (const [i, frame] of batch.entries()) {
      held.set(nextIndex, frame);
      resolve(interpolator.push(nextIndex, landmarks[i] ?? null));
      nextIndex++;
    }
    timings.alignMs += performance.now() - alignStarted;
  };
  // A batch's landmarks are computed (in workers) while the batch before it is aligned here.
  let inFlight: { batch: RgbFrame[]; landmarks: Promise<Array<Landmarks | null>> } | null = null;
  const runBatch = async (batch: RgbFrame[]) => {
    const previous = inFlight;
    // The tracker follows the face from the previous batch's landmarks: those come first.
    const previousLandmarks = previous ? await previous.landmarks : null;
    const landmarks = tracker.track(batch);
    // Awaited on the next call or in finishBatches; never an unhandled rejection meanwhile.
    landmarks.catch(() => undefined);
    inFlight = { batch, landmarks };
    if (previous && previousLandmarks) alignBatch(previous.batch, previousLandmarks);
  };
  const finishBatches = async () => {
    const last = inFlight;
    inFlight = null;
    if (last) alignBatch(last.batch, await last.landmarks);
  };
  const finished = async function* () {
    for (const span of assembler.takeFinished())
      yield { type: 'chunk' as const, chunk: await toChunk(span, fps, audio) };
  };

  const batchSize = Math.max(1, options.batchSize ?? 8);
  let batch: RgbFrame[] = [];
  const frames = decodeVideoFrames(filePath, size, fps, tools, limits);
  try {
    for (;;) {
      const waitStarted = performance.now();
      const next = await frames.next();
      timings.decodeWaitMs += performance.now() - waitStarted;
      if (next.done) break;
      batch.push(next.value);
      if (batch.length === batchSize) {
        await runBatch(batch);
        batch = [];
        yield* finished();
      }
    }
  } finally {
    await frames.return(undefined);
  }
  if (batch.length > 0) await runBatch(batch);
  await finishBatches();
  const alignStarted = performance.now();
  resolve(interpolator.flush());
  align(smoother.flush());
  timings.alignMs += performance.now() - alignStarted;
  assembler.end();
  yield* finished();

  if (nextIndex === 0) {
    throw new PreprocessError('no_frames', 'The video stream has no frames to decode. Upload a video that plays.');
  }
  if (faceFoundFrames === 0) {
    throw new PreprocessError(
      'no_face',
      `No face was found in any of the ${nextIndex} frames. Lip reading needs the speaker’s face in view, facing the camera.`,
    );
  }
  if (audio) await audio;
  timings.detectMs = tracker.stats.detectMs;
  timings.landmarkMs = tracker.stats.landmarkMs;
  timings.detections = tracker.stats.detections;
  timings.totalMs = performance.now() - started;
  yield {
    type: 'done',
    summary: {
      fps,
      totalFrames: nextIndex,
      durationSec: nextIndex / fps,
      faceFoundFrames,
      speech,
      chunkFrames,
      mouthOpening: centredMovingAverage(rawOpening, 1),
      timings,
    },
  };
}

type Filterbank = { frames: number; features: Float32Array };

/** Decodes the audio once for the filterbank (AVSR) and the speech detector, either or both. */
function startAudio(
  filePath: string,
  hasAudio: boolean,
  tools: MediaTools,
  timings: PreprocessTimings,
  limits: MediaRunLimits & { demuxer: string },
  detector: EnergySpeechDetector | null,
  withFilterbank = true,
): Promise<Filterbank> {
  if (!hasAudio) return Promise.resolve({ frames: 0, features: new Float32Array(0) });
  const filterbank = withFilterbank ? new LogFilterbank() : null;
  return decodeAudio(
    filePath,
    SAMPLE_RATE,
    tools,
    (samples) => {
      const started = performance.now();
      filterbank?.push(samples);
      detector?.push(samples);
      timings.audioMs += performance.now() - started;
    },
    limits,
  ).then(() => filterbank?.finish() ?? { frames: 0, features: new Float32Array(0) });
}

interface FinishedSpan {
  startFrame: number;
  frames: number;
  video: Float32Array;
  faceFrames: number;
}

async function toChunk(span: FinishedSpan, fps: number, audio: Promise<Filterbank> | null): Promise<PreprocessedChunk> {
  const chunk: PreprocessedChunk = {
    start: span.startFrame / fps,
    end: (span.startFrame + span.frames) / fps,
    startFrame: span.startFrame,
    frames: span.frames,
    video: span.video,
    faceFoundRatio: span.frames > 0 ? span.faceFrames / span.frames : 0,
  };
  if (audio) chunk.audio = stackedAudioFeatures(await audio, span.startFrame, span.frames);
  return chunk;
}

interface OpenChunk {
  startFrame: number;
  capacity: number;
  frames: number;
  video: Float32Array;
  faceFrames: number;
}

/**
 * Packs aligned frames into the planned chunks and skips the frames between them. The plan
 * comes from the container's duration; with `extendFrames` > 0 frames past its end get chunks
 * of their own (a video read whole), otherwise they are silence like any other gap.
 */
class ChunkAssembler {
  private current: OpenChunk | null = null;
  private planIndex = 0;
  private readonly plan: FrameSpan[];
  private readonly done: FinishedSpan[] = [];

  constructor(
    plan: readonly FrameSpan[],
    private readonly extendFrames: number,
  ) {
    this.plan = plan.map((span) => ({ ...span }));
  }

  /** Where frame `index` goes (frames come in order), or null outside every chunk. */
  slot(index: number): { video: Float32Array; offset: number; inChunk: true } | null {
    let span = this.plan[this.planIndex];
    while (span && span.endFrame <= index) {
      if (this.current) this.close(this.current);
      span = this.plan[++this.planIndex];
    }
    if (!span && this.extendFrames > 0) {
      span = { startFrame: index, endFrame: index + this.extendFrames };
      this.plan.push(span);
    }
    if (!span || index < span.startFrame) return null;
    if (!this.current) {
      const capacity = span.endFrame - index;
      this.current = {
        startFrame: index,
        capacity,
        frames: 0,
        video: new Float32Array(capacity * ROI_PIXELS),
        faceFrames: 0,
      };
    }
    return { video: this.current.video, offset: this.current.frames * ROI_PIXELS, inChunk: true };
  }

  commit(faceFound: boolean): void {
    const current = this.current;
    if (!current) throw new Error('ChunkAssembler.commit called before slot');
    current.frames++;
    if (faceFound) current.faceFrames++;
    if (current.frames === current.capacity) {
      this.close(current);
      this.planIndex++;
    }
  }

  end(): void {
    if (this.current && this.current.frames > 0) this.close(this.current);
  }

  takeFinished(): FinishedSpan[] {
    return this.done.splice(0);
  }

  private close(c: OpenChunk): void {
    this.done.push({
      startFrame: c.startFrame,
      frames: c.frames,
      video: c.frames === c.capacity ? c.video : c.video.slice(0, c.frames * ROI_PIXELS),
      faceFrames: c.faceFrames,
    });
    this.current = null;
  }
}
