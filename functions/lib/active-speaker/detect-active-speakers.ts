import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { S3Ref } from '../contracts/common';
import {
  activeSpeakersDocumentSchema,
  facesDocumentSchema,
  speechDocumentSchema,
  type ActiveSpeakersDocument,
  type FacesDocument,
} from '../contracts/documents';
import type { ActiveSpeakersStep, ActiveSpeakerTaskInput } from '../contracts/pipeline';
import { processedRef } from '../media/extract-media';
import { readPcm16MonoWav } from '../media/wav';
import type { ObjectStore } from '../ports';
import { MODEL_FPS, type ActiveSpeakerModel } from './active-speaker-model';
import type { SpeechSegment } from '../speech/voice-activity';
import { faceTrackFrames } from './face-track';
import type { GreyFrameSource } from './frame-source';
import { MfccExtractor } from './mfcc';
import { scoreActiveSpeakers } from './score-tracks';

export interface DetectActiveSpeakersPorts {
  objects: ObjectStore;
  /** Loaded on first use: jobs with no faces or no speech never need it. */
  model: () => Promise<ActiveSpeakerModel>;
  /** Decodes the downloaded video.mp4 to grey frames of the given size. */
  frames: (videoPath: string, size: { width: number; height: number }) => GreyFrameSource;
  checkDeadline?: () => void;
}

export interface DetectActiveSpeakersOptions {
  processedBucket: string;
  /** Where the scratch folder goes; Lambda's /tmp by default. */
  workRoot?: string;
}

/** Frames are decoded at the video's size, shrunk to fit this: a face's crop is 224 pixels. */
const MAX_DECODE_SIDE = 1920;

/** The decode size: the display size, aspect kept, within MAX_DECODE_SIDE, both sides even. */
export function decodeSize(width: number, height: number): { width: number; height: number } {
  const scale = Math.min(1, MAX_DECODE_SIDE / Math.max(width, height));
  const even = (value: number) => Math.max(2, 2 * Math.round((value * scale) / 2));
  return { width: even(width), height: even(height) };
}

/**
 * The active-speaker step: for every face track that face detection found, how strongly that
 * face speaks the sound, per frame while there is speech (LR-ASD). Writes speakers.json.
 * It skips with a reason when there is nothing to score: no faces, no sound.
 */
export async function detectActiveSpeakers(
  input: ActiveSpeakerTaskInput,
  ports: DetectActiveSpeakersPorts,
  options: DetectActiveSpeakersOptions,
): Promise<ActiveSpeakersStep> {
  const { job, faces: facesBranch } = input;
  if (facesBranch.status !== 'succeeded' || !facesBranch.output) {
    return { status: 'skipped', reason: 'face detection found no faces to score' };
  }
  if (!job.media.hasVideo || !job.media.video) return { status: 'skipped', reason: 'no video stream' };
  if (!job.media.hasAudio || !job.media.audio) return { status: 'skipped', reason: 'no audio stream' };

  const faces = facesDocumentSchema.parse(JSON.parse(await ports.objects.getText(facesBranch.output)));
  if (!faces.tracks.length) return { status: 'skipped', reason: 'no faces on screen' };
  const speech = job.media.speech
    ? speechDocumentSchema.parse(JSON.parse(await ports.objects.getText(job.media.speech.output))).segments
    : undefined;

  const output = processedRef(options.processedBucket, job.jobId, 'speakers.json');
  const frameCount = Math.floor(job.media.durationSec * MODEL_FPS);
  const document =
    speech?.length === 0
      ? unscored(faces, frameCount, (await ports.model()).model, 'no speech')
      : await scoreInScratch({ ...job.media, video: job.media.video, audio: job.media.audio }, faces, speech, ports, {
          ...options,
          frameCount,
        });
  await ports.objects.putText(output, JSON.stringify(document), 'application/json');
  return { status: 'succeeded', output };
}

/** Every track with no scores, when there is nothing to score them against. */
function unscored(
  faces: FacesDocument,
  frameCount: number,
  model: ActiveSpeakersDocument['model'],
  reason: string,
): ActiveSpeakersDocument {
  return activeSpeakersDocumentSchema.parse({
    version: 1,
    model,
    fps: MODEL_FPS,
    tracks: faceTrackFrames(faces, { width: 1, height: 1, count: frameCount }).map((track) => ({
      trackId: track.trackId,
      firstFrame: track.firstFrame,
      scores: track.squares.map(() => null),
    })),
    reason,
  });
}

async function scoreInScratch(
  media: { video: S3Ref; audio: S3Ref; width: number; height: number },
  faces: FacesDocument,
  speech: readonly SpeechSegment[] | undefined,
  ports: DetectActiveSpeakersPorts,
  options: DetectActiveSpeakersOptions & { frameCount: number },
): Promise<ActiveSpeakersDocument> {
  const workDir = await mkdtemp(path.join(options.workRoot ?? tmpdir(), 'active-speaker-'));
  try {
    const videoPath = path.join(workDir, 'video.mp4');
    const audioPath = path.join(workDir, 'audio.wav');
    await Promise.all([ports.objects.download(media.video, videoPath), ports.objects.download(media.audio, audioPath)]);
    const [model, wav] = await Promise.all([ports.model(), readPcm16MonoWav(audioPath)]);
    return await scoreActiveSpeakers(
      { faces, speech, frameCount: options.frameCount },
      {
        model,
        mfcc: new MfccExtractor(wav.samples),
        frames: ports.frames(videoPath, decodeSize(media.width, media.height)),
        ...(ports.checkDeadline ? { checkDeadline: ports.checkDeadline } : {}),
      },
    );
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
