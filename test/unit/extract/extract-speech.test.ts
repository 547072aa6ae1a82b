import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FfmpegMediaToolkit } from '../../../functions/lib/adapters/ffmpeg-media-toolkit';
import { SileroVoiceActivityDetector } from '../../../functions/lib/adapters/silero-vad';
import { speechDocumentSchema } from '../../../functions/lib/contracts/documents';
import { extractMedia } from '../../../functions/lib/media/extract-media';
import { sileroModelPath } from '../../support/models';
import { FFMPEG_DIR_FOR_TESTS, FFPROBE_DIR_FOR_TESTS, gridClip, gridAvailable } from '../../support/paths';
import { DirectoryObjectStore, StageRecordingJobs } from './fakes';

const FFMPEG = path.join(FFMPEG_DIR_FOR_TESTS, 'ffmpeg');
const media = new FfmpegMediaToolkit({
  ffmpegPath: FFMPEG,
  ffprobePath: path.join(FFPROBE_DIR_FOR_TESTS, 'ffprobe'),
  timeoutMs: () => 60_000,
  maxOutputSeconds: 3601,
});
const JOB = 'job-speech';

let scratch: string;
let store: DirectoryObjectStore;
let jobs: StageRecordingJobs;
let detector: Promise<SileroVoiceActivityDetector>;
let loads: number;

beforeAll(() => {
  detector = sileroModelPath().then((modelPath) => SileroVoiceActivityDetector.load(modelPath));
});

beforeEach(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'extract-speech-'));
  store = new DirectoryObjectStore(path.join(scratch, 's3'));
  jobs = new StageRecordingJobs();
  loads = 0;
});
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

async function extract(file: string) {
  const key = `uploads/${path.basename(file)}`;
  await store.put({ bucket: 'uploads', key }, file);
  const workRoot = path.join(scratch, 'tmp');
  mkdirSync(workRoot);
  return extractMedia(
    { jobId: JOB, source: { bucket: 'uploads', key, etag: 'e', size: 1 }, kind: 'upload' },
    {
      jobs,
      objects: store,
      media,
      clock: { now: () => new Date() },
      voiceActivity: () => {
        loads++;
        return detector;
      },
    },
    { processedBucket: 'processed', workRoot, maxMediaSeconds: 3600 },
  );
}

const speechJson = () =>
  speechDocumentSchema.parse(
    JSON.parse(readFileSync(store.pathOf({ bucket: 'processed', key: `jobs/${JOB}/speech.json` }), 'utf8')),
  );

/** Debian's ffmpeg makes the test media (lavfi sources the static build leaves out). */
function generate(name: string, args: string[]): string {
  const file = path.join(scratch, name);
  execFileSync('ffmpeg', ['-nostdin', '-v', 'error', '-y', ...args, file]);
  return file;
}

describe('extract finds the speech', () => {
  (gridAvailable() ? it : it.skip)(
    'writes speech.json beside the audio and reports it in the facts and on the job row',
    async () => {
      // Act
      const facts = await extract(gridClip('swwp2s.mpg'));

      // Assess
      const speech = speechJson();
      expect(speech).toMatchObject({ version: 1, sampleRate: 16000, model: { name: 'silero-vad' } });
      expect(speech.durationSec).toBeCloseTo(3, 0);
      expect(facts.speech).toEqual({
        output: { bucket: 'processed', key: `jobs/${JOB}/speech.json` },
        segments: speech.segments.length,
        speechSec: speech.speechSec,
      });
      expect(speech.speechSec).toBeGreaterThan(1);
      expect(jobs.stageUpdates.at(-1)!.record.facts).toMatchObject({ speechSec: speech.speechSec });
    },
  );

  it('writes an empty speech.json for a video whose sound is silent', async () => {
    // Prepare
    const file = generate('quiet.mp4', [
      ...['-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=25:duration=2'],
      ...['-f', 'lavfi', '-i', 'anullsrc=r=44100:cl=stereo', '-t', '2', '-c:v', 'libx264', '-c:a', 'aac'],
    ]);

    // Act
    const facts = await extract(file);

    // Assess
    expect(speechJson()).toMatchObject({ segments: [], speechSec: 0 });
    expect(facts.speech).toMatchObject({ segments: 0, speechSec: 0 });
  });

  it('neither loads the model nor writes speech.json for a video without sound', async () => {
    // Prepare
    const file = generate('mute.mp4', [
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=160x120:rate=25:duration=2',
      '-c:v',
      'libx264',
    ]);

    // Act
    const facts = await extract(file);

    // Assess
    expect(facts.speech).toBeUndefined();
    expect(loads).toBe(0);
    expect(existsSync(store.pathOf({ bucket: 'processed', key: `jobs/${JOB}/speech.json` }))).toBe(false);
  });
});
