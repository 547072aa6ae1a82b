/**
 * The contributor bot's verdict on real pipeline documents: a reading filmed with two people
 * who both speak is refused as "several speakers", and one person reading alone is not.
 * speech.json comes from extract (static ffmpeg, Silero VAD), faces.json from the local
 * Rekognition stand-in, speakers.json from the converted LR-ASD, as the pipeline writes them.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { detectActiveSpeakers } from '../../functions/lib/active-speaker/detect-active-speakers';
import { FfmpegGreyFrames } from '../../functions/lib/adapters/ffmpeg-grey-frames';
import { OnnxLrAsdModel } from '../../functions/lib/adapters/lr-asd-onnx';
import { DEFAULT_FEEDBACK_OPTIONS, reviewContribution, type FeedbackOutcome } from '../../functions/lib/bot/feedback';
import { MESSAGES } from '../../functions/lib/bot/i18n';
import type { Recording, RecordingQuality } from '../../functions/lib/bot/model';
import type { JobRecord } from '../../functions/lib/contracts/job';
import { makeTwoSpeakerClip, prepareJob, PROCESSED, TWO_SPEAKER_TOOL } from '../support/active-speaker-scenario';
import { requireBuilt } from '../support/built-artifacts';
import { hasLrAsd, lrAsdOnnx } from '../support/models';
import { FFMPEG_DIR_FOR_TESTS, gridClip, gridAvailable } from '../support/paths';

requireBuilt({ 'the converted LR-ASD model (make lr-asd)': hasLrAsd() });
const ready = gridAvailable() && existsSync(TWO_SPEAKER_TOOL);

let scratch: string;
let model: Promise<OnnxLrAsdModel>;

beforeAll(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'contribution-verdicts-'));
  model = OnnxLrAsdModel.load(lrAsdOnnx());
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs extract, face detection and the active-speaker step on `video`, then the bot's review of it as a reading. */
async function reviewReading(video: string, jobId: string): Promise<{ outcome: FeedbackOutcome; told: string[] }> {
  const { input, store } = await prepareJob(video, jobId, scratch);
  const step = await detectActiveSpeakers(
    input,
    {
      objects: store,
      model: () => model,
      frames: (videoPath, size) =>
        new FfmpegGreyFrames({
          ffmpegPath: path.join(FFMPEG_DIR_FOR_TESTS, 'ffmpeg'),
          videoPath,
          ...size,
          timeoutMs: () => 120_000,
        }),
    },
    { processedBucket: PROCESSED, workRoot: scratch },
  );
  expect(step).toMatchObject({ status: 'succeeded' });

  const recordingId = `rec${jobId}`;
  const recording: Recording = {
    recordingId,
    status: 'stored',
    userId: '7',
    chatId: 7,
    contributorHash: 'c0ffee',
    language: 'en',
    kind: 'sentence',
    promptId: 'en-1',
    promptText: 'bin blue at f two now',
    bucket: 'uploads',
    key: `contributions/c0ffee/${recordingId}.mp4`,
    mediaType: 'video',
    mimeType: 'video/mp4',
    fileUniqueId: `unique-${jobId}`,
    demographics: {},
    capture: {},
    createdAt: '2025-01-01T00:00:00Z',
  };
  const job: JobRecord = {
    jobId,
    status: 'COMPLETED',
    source: { bucket: 'uploads', key: recording.key, etag: 'e', size: 1 },
    kind: 'contribution',
    stages: {},
    createdAt: '2025-01-01T00:00:00Z',
    updatedAt: '2025-01-01T00:01:00Z',
  };
  let stored: RecordingQuality | undefined;
  const told: string[] = [];
  const outcome = await reviewContribution(
    { jobId, status: 'SUCCEEDED' },
    {
      jobs: { get: async (id) => (id === jobId ? job : undefined) },
      recordings: {
        get: async (id) => (id === recordingId ? { ...recording, ...(stored ? { quality: stored } : {}) } : undefined),
        setQuality: async (_, quality) => {
          stored = quality;
          return true;
        },
        markNotified: async () => undefined,
      },
      sentences: { uncountRecording: async () => undefined },
      purgeJob: async () => undefined,
      // result.json is left out: fuse's transcript is not what these checks are about.
      readJobFile: async (id, file) =>
        file === 'result.json' ? undefined : store.getText({ bucket: PROCESSED, key: `jobs/${id}/${file}` }),
      notify: async (_, text) => {
        told.push(text);
      },
      clock: { now: () => new Date('2025-01-01T00:02:00Z') },
    },
    DEFAULT_FEEDBACK_OPTIONS,
  );
  return { outcome, told };
}

const checkOf = (outcome: FeedbackOutcome, name: string) =>
  outcome.outcome === 'reviewed' ? outcome.quality.checks?.find((check) => check.check === name) : undefined;

(ready ? describe : describe.skip)('verdicts on real recordings', () => {
  it('refuses a reading where two people speak, and says so', async () => {
    // Prepare: the left person speaks for 3 s, then the right one
    const video = makeTwoSpeakerClip(
      gridClip('bbaf2n.mpg'),
      gridClip('swwp2s.mpg'),
      path.join(scratch, 'two-people.mp4'),
    );

    // Act
    const { outcome, told } = await reviewReading(video, 'twopeople');

    // Assess
    expect(outcome).toMatchObject({ outcome: 'reviewed', quality: { verdict: 'several_speakers' } });
    expect(checkOf(outcome, 'speech')).toMatchObject({ outcome: 'passed' });
    expect(checkOf(outcome, 'one_speaker')).toMatchObject({
      outcome: 'failed',
      detail: expect.stringMatching(/^2 faces speak/),
    });
    expect(told).toEqual([MESSAGES.en.quality_several_speakers.replace('{prompt}', 'bin blue at f two now')]);
  }, 300_000);

  it('finds one speaker, whose face is the one speaking, in one person reading alone', async () => {
    // Act
    const { outcome } = await reviewReading(gridClip('swwp2s.mpg'), 'alone');

    // Assess: no check fails; the sentence cannot be judged without a transcript
    expect(checkOf(outcome, 'one_speaker')).toMatchObject({ outcome: 'passed' });
    expect(checkOf(outcome, 'face_speaking')).toMatchObject({ outcome: 'passed' });
    expect(outcome).toMatchObject({ outcome: 'reviewed', quality: { verdict: 'unverified' } });
    if (outcome.outcome === 'reviewed') {
      expect(outcome.quality.checks?.filter((check) => check.outcome === 'failed')).toEqual([]);
    }
  }, 300_000);
});
