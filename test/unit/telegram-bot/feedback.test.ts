/**
 * The quality check of a contribution, with the pipeline's documents built to the shared
 * contract (speech.json from voice activity, speakers.json from active speaker detection,
 * result.json 2.0, faces.json): one scenario per thing a dataset needs to be true.
 */
import type { JobRecord } from '../../../functions/lib/contracts/job';
import {
  DEFAULT_FEEDBACK_OPTIONS,
  alignToPrompt,
  faceRatio,
  reviewContribution,
  type FeedbackPorts,
} from '../../../functions/lib/bot/feedback';
import { MESSAGES, seconds } from '../../../functions/lib/bot/i18n';
import type { Recording, RecordingQuality } from '../../../functions/lib/bot/model';
import type { Keyboard } from '../../../functions/lib/bot/turn';

const RECORDING_ID = 'a1b2c3d4e5f6a1b2c3d4e5f6';
const PROMPT = 'place blue at f two now';
const options = { ...DEFAULT_FEEDBACK_OPTIONS, minVideoSec: 1, maxVideoSec: 20 };
const FPS = 25;
const DURATION = 3;

// --- builders, to the shapes of /work/plan/contracts.md ------------------------------------------

function job(overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    jobId: 'job-1',
    status: 'COMPLETED',
    source: { bucket: 'uploads', key: `contributions/hash/${RECORDING_ID}.mp4`, etag: 'e', size: 10 },
    kind: 'contribution',
    stages: {},
    createdAt: '2025-01-01T00:00:00Z',
    updatedAt: '2025-01-01T00:00:00Z',
    ...overrides,
  };
}

function recording(overrides: Partial<Recording> = {}): Recording {
  return {
    recordingId: RECORDING_ID,
    status: 'stored',
    userId: '1',
    chatId: 77,
    contributorHash: 'hash',
    language: 'en',
    kind: 'sentence',
    promptId: 'en-1',
    promptText: PROMPT,
    bucket: 'uploads',
    key: `contributions/hash/${RECORDING_ID}.mp4`,
    mediaType: 'video',
    mimeType: 'video/mp4',
    fileUniqueId: 'u',
    demographics: {},
    capture: {},
    createdAt: '2025-01-01T00:00:00Z',
    ...overrides,
  };
}

/** speech.json: voice activity from Silero VAD. */
function speech(segments: Array<[number, number]>) {
  return {
    version: 1,
    model: { name: 'silero-vad', sha256: 'f'.repeat(64) },
    sampleRate: 16000,
    durationSec: DURATION,
    settings: { threshold: 0.5, minSpeechSec: 0.25, minSilenceSec: 0.1, padSec: 0.03 },
    segments: segments.map(([start, end]) => ({ start, end })),
    speechSec: segments.reduce((sum, [start, end]) => sum + end - start, 0),
  };
}

/** speakers.json: one smoothed LR-ASD logit per frame and face track (null: no speech there). */
function activeSpeakers(tracks: Record<string, Array<number | null>>, reason?: string) {
  return {
    version: 1,
    model: { name: 'lr-asd', weights: 'finetuning_TalkSet', sha256: 'a'.repeat(64) },
    fps: FPS,
    tracks: Object.entries(tracks).map(([trackId, scores]) => ({ trackId, firstFrame: 0, scores })),
    ...(reason ? { reason } : {}),
  };
}

/** `frames` scores of `value`, null outside speech (before `from`). */
const scores = (value: number, frames = 60, from = 10): Array<number | null> =>
  Array.from({ length: from + frames }, (_, frame) => (frame < from ? null : value));

interface FaceTrack {
  trackId: string;
  box?: { left: number; top: number; width: number; height: number };
  brightness?: number;
  times?: number[];
}

const EVERY_HALF_SECOND = [0, 0.5, 1, 1.5, 2, 2.5, 3];

/** faces.json: Rekognition's detections grouped into tracks. */
function faces(tracks: FaceTrack[]) {
  const detections = tracks.flatMap((track) =>
    (track.times ?? EVERY_HALF_SECOND).map((time) => ({
      time,
      trackId: track.trackId,
      box: track.box ?? { left: 0.3, top: 0.2, width: 0.3, height: 0.45 },
      confidence: 0.99,
      ...(track.brightness === undefined ? { brightness: 62 } : { brightness: track.brightness }),
    })),
  );
  return {
    version: 1,
    frameIntervalSec: 0.5,
    durationSec: DURATION,
    detections,
    tracks: tracks.map((track) => ({ trackId: track.trackId, firstSeen: 0, lastSeen: 3, detections: 7 })),
  };
}

/** result.json 2.0: what was heard, per segment, and the people who spoke. */
function result(
  heard: string,
  extra: {
    transcribe?: { status: 'succeeded' | 'failed' | 'skipped'; reason?: string };
    people?: Array<{ id: string; speakingSec: number; onScreen?: boolean }>;
    emptyReason?: string;
  } = {},
) {
  const people = extra.people ?? [{ id: 'S1', speakingSec: 2, onScreen: true }];
  return {
    version: '2.0',
    jobId: 'job-1',
    source: { bucket: 'uploads', key: 'k' },
    speakers: people.map((person, index) => ({
      id: person.id,
      label: `Speaker ${index + 1}`,
      onScreen: person.onScreen ?? true,
      voices: [`spk_${index}`],
      speakingSec: person.speakingSec,
    })),
    segments: heard
      ? [
          {
            start: 0.4,
            end: 2.6,
            speaker: 'S1',
            text: heard,
            confidence: 0.9,
            audioText: heard,
            visualText: 'bin blue at f two now',
            words: [],
          },
        ]
      : [],
    modalities: {
      transcribe: extra.transcribe ?? { status: 'succeeded' },
      faces: { status: 'succeeded' },
      activeSpeakers: { status: 'succeeded' },
      lipreading: { status: 'skipped', reason: 'no lip-reading model configured (set GORGGLE_MODEL_DIR)' },
    },
    ...(extra.emptyReason ? { emptyReason: extra.emptyReason } : {}),
    metrics: { durationSec: DURATION, words: heard.split(' ').length, speakers: people.length },
  };
}

/** A clean take: one lit face, reading the prompt, its lips moving with the voice. */
function cleanTake(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    'result.json': result(PROMPT),
    'faces.json': faces([{ trackId: 'face-1' }]),
    'speech.json': speech([[0.4, 2.6]]),
    'speakers.json': activeSpeakers({ 'face-1': scores(1.8) }),
    ...overrides,
  };
}

function ports(
  files: Record<string, unknown>,
  given: { job?: JobRecord; recording?: Recording | null; failSends?: { count: number } } = {},
) {
  const stored: RecordingQuality[] = [];
  const notified = new Set<string>();
  const sent: Array<{ chatId: number; text: string; keyboard?: Keyboard }> = [];
  const uncounted: string[] = [];
  const purged: string[] = [];
  const value: FeedbackPorts = {
    jobs: { get: async () => given.job ?? job() },
    recordings: {
      get: async () => (given.recording === null ? undefined : (given.recording ?? recording())),
      setQuality: async (_id, quality) => {
        if (notified.has(quality.jobId)) return false;
        stored.push(quality);
        return true;
      },
      markNotified: async (_id, jobId) => {
        notified.add(jobId);
      },
    },
    sentences: {
      uncountRecording: async (sentenceId, recordingId) => {
        uncounted.push(`${sentenceId}/${recordingId}`);
      },
    },
    purgeJob: async (jobId) => {
      purged.push(jobId);
    },
    readJobFile: async (_jobId, file) => (file in files ? JSON.stringify(files[file]) : undefined),
    notify: async (chatId, text, keyboard) => {
      if (given.failSends && given.failSends.count-- > 0) throw new Error('Telegram is unreachable');
      sent.push({ chatId, text, ...(keyboard ? { keyboard } : {}) });
    },
    clock: { now: () => new Date('2025-01-01T00:10:00Z') },
  };
  return { value, stored, sent, uncounted, purged };
}

const succeeded = { jobId: 'job-1', status: 'SUCCEEDED' };
const againButton = [[{ text: MESSAGES.en.recordAgain, callback_data: `again:${RECORDING_ID}` }]];
const checksOf = (quality: RecordingQuality | undefined) =>
  Object.fromEntries((quality?.checks ?? []).map((check) => [check.check, check.outcome]));

// --- scenarios -----------------------------------------------------------------------------------

describe('the verdict on a contribution', () => {
  it('accepts a reading when every check ran and passed, and records what was measured', async () => {
    // Prepare
    const { value, stored, sent, uncounted } = ports(cleanTake());

    // Act
    const outcome = await reviewContribution(succeeded, value, options);

    // Assess
    expect(outcome.outcome).toBe('reviewed');
    expect(stored[0]).toMatchObject({ verdict: 'accepted', wer: 0, faceRatio: 1, transcript: PROMPT });
    expect(checksOf(stored[0])).toEqual({
      face: 'passed',
      face_size: 'passed',
      lighting: 'passed',
      speech: 'passed',
      one_speaker: 'passed',
      face_speaking: 'passed',
      sentence: 'passed',
    });
    expect(sent).toEqual([{ chatId: 77, text: MESSAGES.en.quality_accepted.replace('{prompt}', PROMPT) }]);
    expect(uncounted).toEqual([]);
  });

  it('accepts a silent calibration video (tongue out, smile) on the face alone', async () => {
    // Prepare: no speech at all, so fuse writes an empty result on purpose
    const calibration = recording({ kind: 'calibration', promptId: 'calibration', promptText: 'calibration' });
    const { value, stored, sent } = ports(
      {
        'result.json': result('', { people: [], emptyReason: 'no speech' }),
        'faces.json': faces([{ trackId: 'face-1' }]),
        'speech.json': speech([]),
        'speakers.json': activeSpeakers({ 'face-1': scores(0, 0, 75).map(() => null) }, 'no speech'),
      },
      { recording: calibration },
    );

    // Act
    await reviewContribution(succeeded, value, options);

    // Assess
    expect(stored[0]!.verdict).toBe('accepted');
    expect(checksOf(stored[0])).toEqual({ face: 'passed', face_size: 'passed', lighting: 'passed' });
    expect(sent[0]!.keyboard).toBeUndefined();
  });

  it('still judges a calibration on its face when an older pipeline failed it for its silence', async () => {
    const calibration = recording({ kind: 'calibration', promptId: 'calibration', promptText: 'calibration' });
    const failedOnSilence = job({
      status: 'FAILED',
      error: { name: 'NothingUsableError', message: 'No modality produced words.' },
    });
    const { value, stored } = ports(
      { 'faces.json': faces([{ trackId: 'face-1' }]) },
      { job: failedOnSilence, recording: calibration },
    );
    await reviewContribution({ jobId: 'job-1', status: 'FAILED' }, value, options);
    expect(stored[0]!.verdict).toBe('accepted');
  });

  it.each([
    [
      'a silent clip',
      'no_speech',
      cleanTake({
        'result.json': result('', { people: [], emptyReason: 'no speech' }),
        'speech.json': speech([]),
        'speakers.json': activeSpeakers({}, 'no speech'),
      }),
    ],
    [
      'a two-person clip (left speaks, then right)',
      'several_speakers',
      cleanTake({
        'faces.json': faces([
          { trackId: 'face-1', box: { left: 0.05, top: 0.2, width: 0.3, height: 0.45 } },
          { trackId: 'face-2', box: { left: 0.55, top: 0.2, width: 0.3, height: 0.45 } },
        ]),
        'speech.json': speech([
          [0.4, 2.6],
          [3.4, 5.6],
        ]),
        'speakers.json': activeSpeakers({
          'face-1': [...scores(2.1, 55), ...scores(-2.4, 55, 0)],
          'face-2': [...scores(-2.2, 55), ...scores(1.9, 55, 0)],
        }),
        'result.json': result(PROMPT, {
          people: [
            { id: 'S1', speakingSec: 2.2 },
            { id: 'S2', speakingSec: 2.2 },
          ],
        }),
      }),
    ],
    [
      "one clip's audio over another face",
      'face_not_speaking',
      cleanTake({ 'speakers.json': activeSpeakers({ 'face-1': scores(-1.6) }) }),
    ],
    ['a sentence cut off', 'incomplete', cleanTake({ 'result.json': result('place blue at') })],
    [
      'a small face',
      'face_too_small',
      cleanTake({
        'faces.json': faces([{ trackId: 'face-1', box: { left: 0.48, top: 0.3, width: 0.04, height: 0.06 } }]),
      }),
    ],
    ['a face in the dark', 'too_dark', cleanTake({ 'faces.json': faces([{ trackId: 'face-1', brightness: 8 }]) })],
    [
      'no face for most of the clip',
      'no_face',
      cleanTake({ 'faces.json': faces([{ trackId: 'face-1', times: [0] }]) }),
    ],
    ['another sentence', 'wrong_sentence', cleanTake({ 'result.json': result('the weather is lovely today') })],
  ] as const)(
    'rejects %s as %s, with a reason to act on and a button to record it again',
    async (_name, verdict, files) => {
      // Prepare
      const { value, stored, sent, uncounted } = ports(files);

      // Act
      await reviewContribution(succeeded, value, options);

      // Assess
      expect(stored[0]!.verdict).toBe(verdict);
      expect(sent).toEqual([
        { chatId: 77, text: MESSAGES.en[`quality_${verdict}`].replace('{prompt}', PROMPT), keyboard: againButton },
      ]);
      // A rejected take leaves its sentence's coverage (and the cap counts only kept takes).
      expect(uncounted).toEqual([`en-1/${RECORDING_ID}`]);
    },
  );

  it('says which checks could not run where speech-to-text has no Hebrew, rather than pass them', async () => {
    // Prepare: the local Transcribe stand-in refuses he-IL; everything else ran
    const hebrew = recording({ language: 'he', promptText: 'השמש זורחת בבוקר ושוקעת בערב.' });
    const { value, stored, sent } = ports(
      cleanTake({
        'result.json': result('', {
          transcribe: { status: 'failed', reason: 'he-IL is not supported by this speech-to-text' },
        }),
      }),
      { recording: hebrew },
    );

    // Act
    await reviewContribution(succeeded, value, options);

    // Assess
    expect(stored[0]!.verdict).toBe('unverified');
    expect(stored[0]!.wer).toBeUndefined();
    expect(checksOf(stored[0])).toMatchObject({ speech: 'passed', face_speaking: 'passed', sentence: 'not_run' });
    expect(sent[0]!.text).toBe(
      MESSAGES.he.quality_unverified
        .replace('{prompt}', hebrew.promptText)
        .replace(
          '{passed}',
          [
            'check_face',
            'check_face_size',
            'check_lighting',
            'check_speech',
            'check_one_speaker',
            'check_face_speaking',
          ]
            .map((key) => MESSAGES.he[key as keyof typeof MESSAGES.he])
            .join(', '),
        )
        .replace('{notRun}', MESSAGES.he.check_sentence),
    );
    expect(sent[0]!.keyboard).toBeUndefined();
  });

  it('judges a Hebrew reading whose job found nothing to caption (no Hebrew speech-to-text, no lip-reading model) on what ran', async () => {
    // Prepare
    const hebrew = recording({ language: 'he', promptText: 'הכלב רץ אחרי הכדור בחצר.' });
    const nothingToCaption = job({
      status: 'FAILED',
      error: { name: 'NothingUsableError', message: 'no speech was transcribed and no lips could be read' },
    });
    const files = cleanTake();
    delete files['result.json'];
    const { value, stored, sent } = ports(files, { job: nothingToCaption, recording: hebrew });

    // Act
    await reviewContribution({ jobId: 'job-1', status: 'FAILED' }, value, options);

    // Assess
    expect(stored[0]!.verdict).toBe('unverified');
    expect(checksOf(stored[0])).toMatchObject({
      face: 'passed',
      speech: 'passed',
      face_speaking: 'passed',
      sentence: 'not_run',
    });
    expect(sent[0]!.text).toContain(MESSAGES.he.check_sentence);
  });

  it('scores a Hebrew reading transcribed in Hebrew (he-IL on AWS) against its own text', async () => {
    const text = 'השמש זורחת בבוקר ושוקעת בערב.';
    const { value, stored } = ports(cleanTake({ 'result.json': result('השמש זורחת בבוקר ושוקעת בערב') }), {
      recording: recording({ language: 'he', promptText: text }),
    });
    await reviewContribution(succeeded, value, options);
    expect(stored[0]).toMatchObject({ verdict: 'accepted', wer: 0 });
  });

  it('leaves a take unverified, not accepted, while the pipeline writes no voice activity or speaker scores', async () => {
    const { value, stored } = ports({
      'result.json': { ...result(PROMPT), version: '1.0', speakers: undefined },
      'faces.json': faces([{ trackId: 'face-1' }]),
    });
    await reviewContribution(succeeded, value, options);
    expect(stored[0]!.verdict).toBe('unverified');
    expect(checksOf(stored[0])).toMatchObject({ speech: 'passed', one_speaker: 'not_run', face_speaking: 'not_run' });
  });

  it("names the bot's length limit when the pipeline measured a video document too long", async () => {
    const tooLong = job({
      status: 'FAILED',
      error: { name: 'MediaTooLongError', message: 'The video lasts 3600.0 s; this upload may last at most 20 s.' },
    });
    const { value, stored, sent } = ports({}, { job: tooLong });
    await reviewContribution({ jobId: 'job-1', status: 'FAILED' }, value, options);
    expect(stored[0]).toMatchObject({ verdict: 'too_long', jobStatus: 'FAILED' });
    expect(sent[0]!.text).toBe(
      MESSAGES.en.quality_too_long.replace('{prompt}', PROMPT).replace('{limit}', seconds('en', 20)),
    );
  });

  it('never sends the pipeline’s own error text (ARNs, buckets, accounts) to the contributor', async () => {
    // Prepare
    const internal =
      'User: arn:aws:sts::123456789012:assumed-role/gorggle-fuse/x is not authorized to perform s3:PutObject on gorggle-processed-123456789012';
    const failed = job({ status: 'FAILED', error: { name: 'AccessDenied', message: internal } });
    const { value, stored, sent } = ports({}, { job: failed });

    // Act
    await reviewContribution({ jobId: 'job-1', status: 'FAILED' }, value, options);

    // Assess: the maintainer keeps the reason; the contributor gets words to act on
    expect(stored[0]).toMatchObject({ verdict: 'failed', reason: `AccessDenied: ${internal}` });
    expect(sent[0]!.text).toBe(MESSAGES.en.quality_failed.replace('{prompt}', PROMPT));
    expect(sent[0]!.text).not.toMatch(/arn:|123456789012|gorggle-processed|AccessDenied/);
  });

  it('tells the contributor on the next delivery when the first send failed, and only once', async () => {
    // Prepare
    const { value, sent } = ports(cleanTake(), { failSends: { count: 1 } });

    // Act
    await expect(reviewContribution(succeeded, value, options)).rejects.toThrow('Telegram is unreachable');
    const second = await reviewContribution(succeeded, value, options);
    const third = await reviewContribution(succeeded, value, options);

    // Assess
    expect([second.outcome, third.outcome]).toEqual(['reviewed', 'already-reviewed']);
    expect(sent).toHaveLength(1);
  });

  it('removes what a job wrote after its recording was withdrawn with /delete', async () => {
    const { value, sent, purged } = ports(cleanTake(), { recording: null });
    const outcome = await reviewContribution(succeeded, value, options);
    expect(outcome).toEqual({ outcome: 'withdrawn', jobId: 'job-1' });
    expect(purged).toEqual(['job-1']);
    expect(sent).toEqual([]);
  });

  it('ignores executions of ordinary uploads', async () => {
    const { value, sent, purged } = ports(
      {},
      { job: job({ kind: 'upload', source: { bucket: 'u', key: 'uploads/a.mp4', etag: 'e', size: 1 } }) },
    );
    const outcome = await reviewContribution(succeeded, value, options);
    expect(outcome.outcome).toBe('ignored');
    expect([sent, purged]).toEqual([[], []]);
  });
});

describe('the measures behind the verdict', () => {
  it('counts the share of sampled instants with a face', () => {
    expect(faceRatio(faces([{ trackId: 'face-1', times: [0, 0.5, 1] }]))).toBe(0.429);
    expect(faceRatio(faces([]))).toBe(0);
  });

  it('tells a cut-off reading (words missing at an edge) from a different one', () => {
    expect(alignToPrompt(PROMPT, 'place blue at')).toMatchObject({ missingAtEdges: 3, words: 6, wer: 0.5 });
    expect(alignToPrompt(PROMPT, 'at f two now')).toMatchObject({ missingAtEdges: 2 });
    expect(alignToPrompt(PROMPT, 'lay red by k seven again')).toMatchObject({ missingAtEdges: 0 });
  });
});
