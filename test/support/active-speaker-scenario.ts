/**
 * Real inputs for the active-speaker step without the whole stack: extract (static ffmpeg and
 * Silero VAD) writes the job's media into a folder-backed store, and the local Rekognition
 * stand-in's face finder (face-api) writes faces.json from video.mp4, as face-detect would.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { FfmpegMediaToolkit } from '../../functions/lib/adapters/ffmpeg-media-toolkit';
import { SileroVoiceActivityDetector } from '../../functions/lib/adapters/silero-vad';
import type { AnalysedInput, BranchState } from '../../functions/lib/contracts/pipeline';
import { buildFacesDocument } from '../../functions/lib/faces/faces-document';
import { extractMedia } from '../../functions/lib/media/extract-media';
import type { FaceDetectionPage } from '../../functions/lib/ports';
import { detectFacesInVideo } from '../../scripts/local-stack/emulators/rekognition/detect-video';
import { createFaceFinder, type FaceFinder } from '../../scripts/local-stack/emulators/rekognition/face-finder';
import { DirectoryObjectStore, StageRecordingJobs } from '../unit/extract/fakes';
import { sileroModelPath } from './models';
import { FFMPEG_DIR_FOR_TESTS, FFPROBE_DIR_FOR_TESTS, REPO_ROOT } from './paths';

export const PROCESSED = 'processed';
const FFMPEG = path.join(FFMPEG_DIR_FOR_TESTS, 'ffmpeg');
const FFPROBE = path.join(FFPROBE_DIR_FOR_TESTS, 'ffprobe');
export const TWO_SPEAKER_TOOL = path.resolve(REPO_ROOT, '..', 'shared', 'tools', 'make-two-speaker-clip.sh');

/** Left person speaks 0–3 s, right person 3–6 s (../shared/tools/make-two-speaker-clip.sh). */
export function makeTwoSpeakerClip(a: string, b: string, out: string, options: { bothTalking?: boolean } = {}): string {
  // Debian's ffmpeg (scripts/setup/debian-packages.txt): the tool needs filters newer than the static build's.
  execFileSync(TWO_SPEAKER_TOOL, [...(options.bothTalking ? ['--both-talking'] : []), a, b, out]);
  return out;
}

let voiceActivity: Promise<SileroVoiceActivityDetector> | undefined;
let finder: Promise<FaceFinder> | undefined;

export interface PreparedJob {
  input: { job: AnalysedInput; faces: BranchState };
  store: DirectoryObjectStore;
}

/** Extracts `video` as job `jobId` and finds its faces, leaving what the ActiveSpeaker task reads. */
export async function prepareJob(video: string, jobId: string, scratch: string): Promise<PreparedJob> {
  const store = new DirectoryObjectStore(path.join(scratch, 's3'));
  const key = `uploads/${path.basename(video)}`;
  await store.put({ bucket: 'uploads', key }, video);
  const workRoot = path.join(scratch, `extract-${jobId}`);
  mkdirSync(workRoot, { recursive: true });
  voiceActivity ??= sileroModelPath().then((modelPath) => SileroVoiceActivityDetector.load(modelPath));
  const detector = voiceActivity;
  const media = await extractMedia(
    { jobId, source: { bucket: 'uploads', key, etag: 'e', size: 1 }, kind: 'upload' },
    {
      jobs: new StageRecordingJobs(),
      objects: store,
      media: new FfmpegMediaToolkit({
        ffmpegPath: FFMPEG,
        ffprobePath: FFPROBE,
        timeoutMs: () => 120_000,
        maxOutputSeconds: 3601,
      }),
      clock: { now: () => new Date() },
      voiceActivity: () => detector,
    },
    { processedBucket: PROCESSED, workRoot, maxMediaSeconds: 3600 },
  );

  finder ??= createFaceFinder();
  const detected = await detectFacesInVideo(store.pathOf(media.video!), {
    tools: { ffmpegPath: FFMPEG, ffprobePath: FFPROBE },
    finder: await finder,
    attributes: 'DEFAULT',
  });
  const faces: FaceDetectionPage['faces'] = detected.faces.map(({ Timestamp, Face }) => ({
    timestampMs: Timestamp,
    box: {
      left: Face.BoundingBox.Left,
      top: Face.BoundingBox.Top,
      width: Face.BoundingBox.Width,
      height: Face.BoundingBox.Height,
    },
    confidence: Face.Confidence / 100,
    landmarks: Face.Landmarks.map((landmark) => ({ type: landmark.Type, x: landmark.X, y: landmark.Y })),
  }));
  const output = { bucket: PROCESSED, key: `jobs/${jobId}/faces.json` };
  await store.putText(output, JSON.stringify(buildFacesDocument(faces, detected.metadata.DurationMillis / 1000)));
  const now = new Date().toISOString();
  return {
    store,
    input: {
      job: { jobId, source: { bucket: 'uploads', key, etag: 'e', size: 1 }, kind: 'upload', media },
      faces: {
        modality: 'faces',
        status: 'succeeded',
        attempts: 1,
        waitSeconds: 1,
        startedAt: now,
        endedAt: now,
        output,
      },
    },
  };
}
