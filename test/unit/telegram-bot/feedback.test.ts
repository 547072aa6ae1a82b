import type { JobRecord } from '../../../functions/lib/contracts/job';
import type { FacesDocument, ResultDocument } from '../../../functions/lib/contracts/documents';
import { faceRatio, reviewContribution, type FeedbackPorts } from '../../../functions/lib/bot/feedback';
import { MESSAGES } from '../../../functions/lib/bot/i18n';
import type { Recording, RecordingQuality } from '../../../functions/lib/bot/model';

const RECORDING_ID = 'a1b2c3d4e5f6a1b2c3d4e5f6';
const options = { minFaceRatio: 0.5, maxAcceptedWer: 0.6, werLanguages: ['en'] };

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
    promptText: 'place blue at f two now',
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

function result(text: string, transcribe: 'succeeded' | 'failed' = 'succeeded'): ResultDocument {
  return {
    version: '2.0',
    jobId: 'job-1',
    source: { bucket: 'uploads', key: 'k' },
    speakers: text
      ? [{ id: 'S1', label: 'Speaker 1', onScreen: true, faceId: 't1', voices: ['spk_0'], speakingSec: 2 }]
      : [],
    segments: text
      ? [{ start: 0, end: 2, speaker: 'S1', text, confidence: 0.9, audioText: text, visualText: '', words: [] }]
      : [],
    modalities: {
      transcribe: { status: transcribe },
      faces: { status: 'succeeded' },
      activeSpeakers: { status: 'succeeded' },
      lipreading: { status: 'failed' },
    },
    metrics: { durationSec: 3, words: 6, speakers: 1 },
  };
}

function faces(seenTimes: number[]): FacesDocument {
  return {
    version: 1,
    frameIntervalSec: 0.5,
    durationSec: 2.5,
    detections: seenTimes.map((time) => ({
      time,
      trackId: 't1',
      box: { left: 0.3, top: 0.2, width: 0.3, height: 0.4 },
      confidence: 0.99,
    })),
    tracks: [],
  };
}

function ports(
  files: Record<string, unknown>,
  options: { job?: JobRecord; recording?: Recording; failSends?: { count: number } } = {},
) {
  const stored: RecordingQuality[] = [];
  const notified = new Set<string>();
  const sent: Array<{ chatId: number; text: string }> = [];
  const value: FeedbackPorts = {
    jobs: { get: async () => options.job ?? job() },
    recordings: {
      get: async () => options.recording ?? recording(),
      setQuality: async (_id, quality) => {
        if (notified.has(quality.jobId)) return false;
        stored.push(quality);
        return true;
      },
      markNotified: async (_id, jobId) => {
        notified.add(jobId);
      },
    },
    readJobFile: async (_jobId, file) => (file in files ? JSON.stringify(files[file]) : undefined),
    notify: async (chatId, text) => {
      if (options.failSends && options.failSends.count-- > 0) throw new Error('Telegram is unreachable');
      sent.push({ chatId, text });
    },
    clock: { now: () => new Date('2025-01-01T00:10:00Z') },
  };
  return { value, stored, sent };
}

const allFrames = [0, 0.5, 1, 1.5, 2, 2.5];

describe('reviewing a finished contribution', () => {
  it('accepts a matching recording and records transcript, WER and face ratio', async () => {
    // Prepare
    const { value, stored, sent } = ports({
      'result.json': result('place blue at f two now'),
      'faces.json': faces(allFrames),
    });

    // Act
    const outcome = await reviewContribution({ jobId: 'job-1', status: 'SUCCEEDED' }, value, options);

    // Assess
    expect(outcome.outcome).toBe('reviewed');
    expect(stored).toEqual([
      expect.objectContaining({ verdict: 'accepted', wer: 0, faceRatio: 1, transcript: 'place blue at f two now' }),
    ]);
    expect(sent).toEqual([
      { chatId: 77, text: MESSAGES.en.quality_accepted.replace('{prompt}', 'place blue at f two now') },
    ]);
  });

  it('tells the contributor on the next delivery when the first send failed', async () => {
    // Prepare
    const files = { 'result.json': result('place blue at f two now'), 'faces.json': faces(allFrames) };
    const { value, sent } = ports(files, { failSends: { count: 1 } });
    const execution = { jobId: 'job-1', status: 'SUCCEEDED' };

    // Act
    const first = reviewContribution(execution, value, options);
    await expect(first).rejects.toThrow('Telegram is unreachable');
    const second = await reviewContribution(execution, value, options);
    const third = await reviewContribution(execution, value, options);

    // Assess
    expect(second.outcome).toBe('reviewed');
    expect(third.outcome).toBe('already-reviewed');
    expect(sent).toHaveLength(1);
  });

  it.each([
    ['no_face', result('place blue at f two now'), faces([0])],
    ['no_speech', result('', 'failed'), faces(allFrames)],
    ['wrong_sentence', result('the weather is lovely today'), faces(allFrames)],
  ] as const)('says %s when that is what the pipeline found', async (verdict, resultDocument, facesDocument) => {
    const { value, stored, sent } = ports({ 'result.json': resultDocument, 'faces.json': facesDocument });
    await reviewContribution({ jobId: 'job-1', status: 'SUCCEEDED' }, value, options);
    expect(stored[0]!.verdict).toBe(verdict);
    expect(sent[0]!.text).toBe(MESSAGES.en[`quality_${verdict}`].replace('{prompt}', 'place blue at f two now'));
  });

  it('does not score WER in a language the pipeline does not transcribe, and tells in Hebrew', async () => {
    const hebrew = recording({ language: 'he', promptText: 'שלום עולם' });
    const { value, stored, sent } = ports(
      { 'result.json': result('shalom olam'), 'faces.json': faces(allFrames) },
      { recording: hebrew },
    );
    await reviewContribution({ jobId: 'job-1', status: 'SUCCEEDED' }, value, options);
    expect(stored[0]).toMatchObject({ verdict: 'accepted' });
    expect(stored[0]!.wer).toBeUndefined();
    expect(sent[0]!.text).toBe(MESSAGES.he.quality_accepted.replace('{prompt}', 'שלום עולם'));
  });

  it('reports a failed job with its reason, and notifies once per job', async () => {
    // Prepare
    const failed = job({
      status: 'FAILED',
      error: { name: 'UnsupportedMediaError', message: 'The file has no audio stream.' },
    });
    const { value, stored, sent } = ports({}, { job: failed });

    // Act
    await reviewContribution({ jobId: 'job-1', status: 'FAILED' }, value, options);
    const again = await reviewContribution({ jobId: 'job-1', status: 'FAILED' }, value, options);

    // Assess
    expect(stored).toEqual([expect.objectContaining({ verdict: 'no_speech', jobStatus: 'FAILED' })]);
    expect(again.outcome).toBe('already-reviewed');
    expect(sent).toHaveLength(1);
  });

  it('ignores executions of ordinary uploads', async () => {
    const { value, sent } = ports(
      {},
      { job: job({ kind: 'upload', source: { bucket: 'u', key: 'uploads/a.mp4', etag: 'e', size: 1 } }) },
    );
    const outcome = await reviewContribution({ jobId: 'job-1', status: 'SUCCEEDED' }, value, options);
    expect(outcome.outcome).toBe('ignored');
    expect(sent).toEqual([]);
  });

  it('counts the share of sampled instants with a face', () => {
    expect(faceRatio(faces([0, 0.5, 1]))).toBe(0.5);
    expect(faceRatio(faces([]))).toBe(0);
  });
});
