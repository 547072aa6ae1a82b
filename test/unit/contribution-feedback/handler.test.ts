import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  NoSuchKey,
  S3Client,
} from '@aws-sdk/client-s3';
import { GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { FacesDocument, ResultDocument } from '../../../functions/lib/contracts/documents';
import type { JobRecord } from '../../../functions/lib/contracts/job';
import { MESSAGES } from '../../../functions/lib/bot/i18n';
import type { Recording, RecordingQuality } from '../../../functions/lib/bot/model';
import { FakeTelegram } from '../../bot/support/fake-telegram';
import { LOCAL_DYNAMODB_CREDENTIALS, startLocalDynamoDb, type LocalDynamoDb } from '../../support/local-dynamodb';
import { REPO_ROOT } from '../../support/paths';

const PROCESSED_BUCKET = 'gorggle-processed';
const TOKEN_PARAMETER = '/gorggle/telegram/token';
const TOKEN = '123456:contribution-feedback-test';
const CHAT_ID = 4242;
const PROMPT = 'place blue at f two now';

const s3 = mockClient(S3Client);
const ssm = mockClient(SSMClient);
const telegram = new FakeTelegram(TOKEN);
const context = {
  functionName: 'gorggle-contribution-feedback',
  awsRequestId: 'req-1',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:gorggle-contribution-feedback',
} as Context;

interface ExecutionEvent {
  source: string;
  detail: { name: string; status: string };
}

const sampleEvent = (): ExecutionEvent =>
  JSON.parse(
    readFileSync(path.join(REPO_ROOT, 'events', 'contribution-feedback', 'execution-succeeded.json'), 'utf8'),
  ) as ExecutionEvent;

function executionEvent(jobId: string, status: string): ExecutionEvent {
  const event = sampleEvent();
  return { ...event, detail: { ...event.detail, name: jobId, status } };
}

function jobRow(jobId: string, recordingId: string, overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    jobId,
    status: 'COMPLETED',
    source: { bucket: 'gorggle-uploads', key: `contributions/c0ffee/${recordingId}.mp4`, etag: 'e', size: 1024 },
    kind: 'contribution',
    stages: {},
    createdAt: '2025-01-01T00:00:00Z',
    updatedAt: '2025-01-01T00:05:00Z',
    ...overrides,
  };
}

function recording(recordingId: string, quality?: RecordingQuality): Recording {
  return {
    recordingId,
    status: 'stored',
    userId: '99',
    chatId: CHAT_ID,
    contributorHash: 'c0ffee',
    language: 'en',
    kind: 'sentence',
    promptId: 'en-1',
    promptText: PROMPT,
    bucket: 'gorggle-uploads',
    key: `contributions/c0ffee/${recordingId}.mp4`,
    mediaType: 'video',
    mimeType: 'video/mp4',
    fileUniqueId: 'unique-1',
    demographics: {},
    capture: {},
    createdAt: '2025-01-01T00:00:00Z',
    ...(quality ? { quality } : {}),
  };
}

function resultDocument(jobId: string, text: string): ResultDocument {
  return {
    version: '2.0',
    jobId,
    source: { bucket: 'gorggle-uploads', key: 'contributions/c0ffee/x.mp4' },
    speakers: [{ id: 'S1', label: 'Speaker 1', onScreen: true, faceId: 't1', voices: ['spk_0'], speakingSec: 2 }],
    segments: [{ start: 0, end: 2, speaker: 'S1', text, confidence: 0.9, audioText: text, visualText: '', words: [] }],
    modalities: {
      transcribe: { status: 'succeeded' },
      faces: { status: 'succeeded' },
      activeSpeakers: { status: 'succeeded' },
      lipreading: { status: 'failed' },
    },
    metrics: { durationSec: 2.5, words: 6, speakers: 1 },
  };
}

/** A face at every one of the six sampled instants of a 2.5 s clip. */
const facesEverywhere: FacesDocument = {
  version: 1,
  frameIntervalSec: 0.5,
  durationSec: 2.5,
  detections: [0, 0.5, 1, 1.5, 2, 2.5].map((time) => ({
    time,
    trackId: 't1',
    box: { left: 0.3, top: 0.2, width: 0.3, height: 0.4 },
    confidence: 0.99,
    brightness: 60,
  })),
  tracks: [],
};

/** speech.json and speakers.json as the contract shapes them: speech from 0.3 to 2.2 s, face t1 speaking. */
const speechDocument = {
  version: 1,
  model: { name: 'silero-vad', sha256: 'f'.repeat(64) },
  sampleRate: 16000,
  durationSec: 2.5,
  settings: { threshold: 0.5, minSpeechSec: 0.25, minSilenceSec: 0.1, padSec: 0.03 },
  segments: [{ start: 0.3, end: 2.2 }],
  speechSec: 1.9,
};
const speakersDocument = {
  version: 1,
  model: { name: 'lr-asd', weights: 'finetuning_TalkSet', sha256: 'a'.repeat(64) },
  fps: 25,
  tracks: [
    { trackId: 't1', firstFrame: 0, scores: Array.from({ length: 62 }, (_, frame) => (frame < 8 ? null : 1.5)) },
  ],
};
const cleanTakeFiles = (jobId: string) => ({
  'result.json': resultDocument(jobId, PROMPT),
  'faces.json': facesEverywhere,
  'speech.json': speechDocument,
  'speakers.json': speakersDocument,
});

/** GetObject's Body as the SDK hands it over: a stream that can also be read whole. */
function objectBody(document: object) {
  const stream = Readable.from([Buffer.from(JSON.stringify(document))]);
  return Object.assign(stream, {
    transformToString: async (encoding: BufferEncoding = 'utf8') =>
      Buffer.concat((await stream.toArray()) as Buffer[]).toString(encoding),
  });
}

/**
 * The jobs and recordings tables on dynalite, made as terraform/ declares them: the
 * "review once" rule lives in the store's condition expressions, which only DynamoDB judges.
 */
let dynamodb: LocalDynamoDb;

async function useTables(jobs: JobRecord[], recordings: Recording[]) {
  for (const job of jobs) {
    await dynamodb.client.send(
      new PutItemCommand({ TableName: dynamodb.tables.jobs, Item: marshall(job, { removeUndefinedValues: true }) }),
    );
  }
  for (const row of recordings) {
    await dynamodb.client.send(
      new PutItemCommand({
        TableName: dynamodb.tables.bot_recordings,
        Item: marshall(row, { removeUndefinedValues: true }),
      }),
    );
  }
}

async function recordingRow(recordingId: string): Promise<Recording | undefined> {
  const { Item } = await dynamodb.client.send(
    new GetItemCommand({
      TableName: dynamodb.tables.bot_recordings,
      Key: marshall({ recordingId }),
      ConsistentRead: true,
    }),
  );
  return Item ? (unmarshall(Item) as Recording) : undefined;
}

function useJobFiles(jobId: string, files: Record<string, object>) {
  s3.on(GetObjectCommand).callsFake((input: { Bucket: string; Key: string }) => {
    const file = input.Bucket === PROCESSED_BUCKET ? files[input.Key.replace(`jobs/${jobId}/`, '')] : undefined;
    if (!file) throw new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} });
    return { Body: objectBody(file) as never };
  });
}

describe('contribution-feedback handler', () => {
  let handler: (event: unknown, context: Context) => Promise<unknown>;

  beforeAll(async () => {
    await telegram.start();
    dynamodb = await startLocalDynamoDb(['jobs', 'bot_recordings', 'bot_sentences']);
    process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamodb.endpoint;
    process.env.AWS_REGION = 'us-east-1';
    process.env.AWS_ACCESS_KEY_ID = LOCAL_DYNAMODB_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = LOCAL_DYNAMODB_CREDENTIALS.secretAccessKey;
    process.env.JOBS_TABLE = dynamodb.tables.jobs;
    process.env.RECORDINGS_TABLE = dynamodb.tables.bot_recordings;
    process.env.SENTENCES_TABLE = dynamodb.tables.bot_sentences;
    process.env.PROCESSED_BUCKET = PROCESSED_BUCKET;
    process.env.TELEGRAM_TOKEN_PARAMETER = TOKEN_PARAMETER;
    process.env.TELEGRAM_API_ROOT = telegram.apiRoot;
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    // The handler caches the token for minutes, so SSM is set up once and never reset.
    ssm
      .on(GetParametersCommand, { Names: [TOKEN_PARAMETER], WithDecryption: true })
      .resolves({ Parameters: [{ Name: TOKEN_PARAMETER, Value: TOKEN }], InvalidParameters: [] });
    ({ handler } = await import('../../../functions/contribution-feedback/handler'));
  });

  afterAll(async () => {
    await telegram.stop();
    await dynamodb?.stop();
  });

  beforeEach(() => {
    s3.reset();
    telegram.reset();
  });

  it('stores transcript, WER and face ratio of a completed contribution and tells the contributor it was accepted', async () => {
    // Prepare
    const event = sampleEvent();
    const jobId = event.detail.name;
    const recordingId = 'a1b2c3d4e5f6a1b2c3d4e5f6';
    await useTables([jobRow(jobId, recordingId)], [recording(recordingId)]);
    useJobFiles(jobId, cleanTakeFiles(jobId));

    // Act
    const outcome = await handler(event, context);

    // Assess
    expect(outcome).toMatchObject({ outcome: 'reviewed', recordingId, quality: { verdict: 'accepted' } });
    expect(s3).toHaveReceivedCommandWith(GetObjectCommand, {
      Bucket: PROCESSED_BUCKET,
      Key: `jobs/${jobId}/result.json`,
    });
    // The verdict, and the mark that the contributor was told.
    expect((await recordingRow(recordingId))?.quality).toEqual({
      jobId,
      jobStatus: 'COMPLETED',
      verdict: 'accepted',
      transcript: PROMPT,
      wer: 0,
      faceRatio: 1,
      checks: ['face', 'face_size', 'lighting', 'speech', 'one_speaker', 'face_speaking', 'sentence'].map((check) =>
        expect.objectContaining({ check, outcome: 'passed' }),
      ),
      checkedAt: expect.any(String),
      notifiedAt: expect.any(String),
    });
    expect(ssm).toHaveReceivedCommandWith(GetParametersCommand, { Names: [TOKEN_PARAMETER], WithDecryption: true });
    expect(telegram.messagesTo(CHAT_ID).map((message) => message.text)).toEqual([
      MESSAGES.en.quality_accepted.replace('{prompt}', PROMPT),
    ]);
  });

  it('tells the contributor why a failed contribution could not be used, in words to act on', async () => {
    // Prepare
    const jobId = 'f'.repeat(32);
    const recordingId = 'b1b2c3d4e5f6a1b2c3d4e5f6';
    const reason = 'The file has no video stream.';
    await useTables(
      [jobRow(jobId, recordingId, { status: 'FAILED', error: { name: 'UnsupportedMediaError', message: reason } })],
      [recording(recordingId)],
    );
    useJobFiles(jobId, {});

    // Act
    const outcome = await handler(executionEvent(jobId, 'FAILED'), context);

    // Assess
    expect(outcome).toMatchObject({
      outcome: 'reviewed',
      quality: { verdict: 'unreadable', jobStatus: 'FAILED', reason: `UnsupportedMediaError: ${reason}` },
    });
    expect(s3).not.toHaveReceivedAnyCommand();
    expect((await recordingRow(recordingId))?.quality).toMatchObject({
      jobId,
      verdict: 'unreadable',
      jobStatus: 'FAILED',
      reason: `UnsupportedMediaError: ${reason}`,
      notifiedAt: expect.any(String),
    });
    const [message] = telegram.messagesTo(CHAT_ID);
    expect(message!.text).toBe(MESSAGES.en.quality_unreadable.replace('{prompt}', PROMPT));
    expect(message!.buttons).toEqual([`again:${recordingId}`]);
    expect(message!.labels).toEqual([MESSAGES.en.recordAgain]);
  });

  it('ignores the execution of an ordinary upload: no writes, no message', async () => {
    // Prepare
    const jobId = 'a'.repeat(32);
    const recordingId = 'd1b2c3d4e5f6a1b2c3d4e5f6';
    await useTables(
      [
        jobRow(jobId, recordingId, {
          kind: 'upload',
          source: { bucket: 'u', key: `uploads/${recordingId}.mp4`, etag: 'e', size: 1 },
        }),
      ],
      [recording(recordingId)],
    );

    // Act
    const outcome = await handler(executionEvent(jobId, 'SUCCEEDED'), context);

    // Assess
    expect(outcome).toEqual({ outcome: 'ignored', reason: `job ${jobId} is an upload` });
    expect(await recordingRow(recordingId)).toEqual(recording(recordingId));
    expect(s3).not.toHaveReceivedAnyCommand();
    expect(telegram.calls).toEqual([]);
  });

  it('handles a repeated event for the same job once: one verdict, one message', async () => {
    // Prepare
    const event = sampleEvent();
    const jobId = event.detail.name;
    const recordingId = 'c1b2c3d4e5f6a1b2c3d4e5f6';
    await useTables([jobRow(jobId, recordingId)], [recording(recordingId)]);
    useJobFiles(jobId, cleanTakeFiles(jobId));

    // Act
    const first = await handler(event, context);
    const afterFirst = await recordingRow(recordingId);
    const again = await handler(event, context);

    // Assess
    expect(first).toMatchObject({ outcome: 'reviewed', recordingId });
    expect(again).toEqual({ outcome: 'already-reviewed', recordingId });
    expect(afterFirst?.quality).toMatchObject({ jobId, notifiedAt: expect.any(String) });
    expect(await recordingRow(recordingId)).toEqual(afterFirst);
    expect(telegram.callsOf('sendMessage')).toHaveLength(1);
  });

  it('reviews again when the verdict was stored but its message never went out', async () => {
    // Prepare: an earlier delivery stored the verdict, then failed to send it.
    const event = sampleEvent();
    const jobId = event.detail.name;
    const recordingId = 'e1b2c3d4e5f6a1b2c3d4e5f6';
    const unsent: RecordingQuality = {
      jobId,
      jobStatus: 'COMPLETED',
      verdict: 'accepted',
      transcript: PROMPT,
      wer: 0,
      faceRatio: 1,
      checkedAt: '2025-01-01T00:05:00.000Z',
    };
    await useTables([jobRow(jobId, recordingId)], [recording(recordingId, unsent)]);
    useJobFiles(jobId, cleanTakeFiles(jobId));

    // Act
    const outcome = await handler(event, context);

    // Assess
    expect(outcome).toMatchObject({ outcome: 'reviewed', recordingId });
    expect((await recordingRow(recordingId))?.quality).toMatchObject({ jobId, notifiedAt: expect.any(String) });
    expect(telegram.callsOf('sendMessage')).toHaveLength(1);
  });

  it("replaces an earlier job's verdict with the verdict of a new job for the same recording", async () => {
    // Prepare: the recording was reviewed (and the contributor told) for another job before.
    const event = sampleEvent();
    const jobId = event.detail.name;
    const recordingId = 'f1b2c3d4e5f6a1b2c3d4e5f6';
    const earlier = {
      jobId: '0'.repeat(32),
      jobStatus: 'FAILED',
      verdict: 'failed' as const,
      reason: 'an earlier run',
      checkedAt: '2024-12-31T00:00:00.000Z',
      notifiedAt: '2024-12-31T00:00:01.000Z',
    };
    await useTables([jobRow(jobId, recordingId)], [recording(recordingId, earlier)]);
    useJobFiles(jobId, cleanTakeFiles(jobId));

    // Act
    const outcome = await handler(event, context);

    // Assess
    expect(outcome).toMatchObject({ outcome: 'reviewed', recordingId, quality: { jobId, verdict: 'accepted' } });
    expect((await recordingRow(recordingId))?.quality).toMatchObject({ jobId, verdict: 'accepted' });
    expect(telegram.callsOf('sendMessage')).toHaveLength(1);
  });

  it("writes no verdict for a recording withdrawn while the pipeline ran, and removes the job's files and row", async () => {
    // Prepare: the job names a recording whose row is gone (/delete ran meanwhile).
    const event = sampleEvent();
    const jobId = event.detail.name;
    const recordingId = '91b2c3d4e5f6a1b2c3d4e5f6';
    await useTables([jobRow(jobId, recordingId)], []);
    s3.on(ListObjectVersionsCommand).resolves({
      Versions: [{ Key: `jobs/${jobId}/result.json`, VersionId: 'v1' }],
      DeleteMarkers: [{ Key: `jobs/${jobId}/faces.json`, VersionId: 'm1' }],
    });
    s3.on(DeleteObjectCommand).resolves({});

    // Act
    const outcome = await handler(event, context);

    // Assess
    expect(outcome).toEqual({ outcome: 'withdrawn', jobId });
    expect(await recordingRow(recordingId)).toBeUndefined();
    expect(s3).toHaveReceivedCommandWith(ListObjectVersionsCommand, {
      Bucket: PROCESSED_BUCKET,
      Prefix: `jobs/${jobId}/`,
    });
    expect(s3.commandCalls(DeleteObjectCommand).map((call) => call.args[0].input)).toEqual([
      { Bucket: PROCESSED_BUCKET, Key: `jobs/${jobId}/result.json`, VersionId: 'v1' },
      { Bucket: PROCESSED_BUCKET, Key: `jobs/${jobId}/faces.json`, VersionId: 'm1' },
    ]);
    const { Item: job } = await dynamodb.client.send(
      new GetItemCommand({ TableName: dynamodb.tables.jobs, Key: marshall({ jobId }), ConsistentRead: true }),
    );
    expect(job).toBeUndefined();
    expect(telegram.calls).toEqual([]);
  });

  it('rejects an event that is not an execution status change', async () => {
    // Prepare
    const event = { source: 'aws.s3', detail: { bucket: { name: 'gorggle-uploads' } } };

    // Act
    const invoking = handler(event, context);

    // Assess
    await expect(invoking).rejects.toMatchObject({ name: 'InvalidEventError' });
    expect(s3).not.toHaveReceivedAnyCommand();
    expect(telegram.calls).toEqual([]);
  });
});
