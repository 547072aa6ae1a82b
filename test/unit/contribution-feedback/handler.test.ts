import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import { GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { FacesDocument, ResultDocument } from '../../../functions/lib/contracts/documents';
import type { JobRecord } from '../../../functions/lib/contracts/job';
import { MESSAGES } from '../../../functions/lib/bot/i18n';
import type { Recording } from '../../../functions/lib/bot/model';
import { FakeTelegram } from '../../bot/support/fake-telegram';
import { REPO_ROOT } from '../../support/paths';

const JOBS_TABLE = 'gorggle-jobs';
const RECORDINGS_TABLE = 'gorggle-recordings';
const PROCESSED_BUCKET = 'gorggle-processed';
const TOKEN_PARAMETER = '/gorggle/telegram/token';
const TOKEN = '123456:contribution-feedback-test';
const CHAT_ID = 4242;
const PROMPT = 'place blue at f two now';

const dynamodb = mockClient(DynamoDBClient);
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

function recordingRow(recordingId: string): Recording {
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
  })),
  tracks: [],
};

/** GetObject's Body as the SDK hands it over: a stream that can also be read whole. */
function objectBody(document: object) {
  const stream = Readable.from([Buffer.from(JSON.stringify(document))]);
  return Object.assign(stream, {
    transformToString: async (encoding: BufferEncoding = 'utf8') =>
      Buffer.concat((await stream.toArray()) as Buffer[]).toString(encoding),
  });
}

/**
 * Both tables in memory behind the mocked client. The recordings update honours the
 * adapter's condition (row exists, and not yet reviewed for this job) the way DynamoDB would.
 */
function useTables(jobs: JobRecord[], recordings: Recording[]) {
  const rows = {
    [JOBS_TABLE]: new Map(jobs.map((job) => [job.jobId, job as unknown as Record<string, unknown>])),
    [RECORDINGS_TABLE]: new Map(recordings.map((row) => [row.recordingId, row as unknown as Record<string, unknown>])),
  };
  const keyOf = (key: Record<string, AttributeValue> | undefined) => String(Object.values(unmarshall(key ?? {}))[0]);
  dynamodb
    .on(GetItemCommand)
    .callsFake((input: { TableName: keyof typeof rows; Key: Record<string, AttributeValue> }) => {
      const item = rows[input.TableName]?.get(keyOf(input.Key));
      return { Item: item ? marshall(item, { removeUndefinedValues: true }) : undefined };
    });
  dynamodb
    .on(UpdateItemCommand)
    .callsFake(
      (input: {
        TableName: keyof typeof rows;
        Key: Record<string, AttributeValue>;
        UpdateExpression: string;
        ExpressionAttributeValues: Record<string, AttributeValue>;
      }) => {
        const table = rows[input.TableName];
        const item = table?.get(keyOf(input.Key));
        const values = unmarshall(input.ExpressionAttributeValues);
        const previous = item?.quality as { jobId?: string; notifiedAt?: string } | undefined;
        const failCondition = () => {
          throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
        };
        if (input.UpdateExpression.includes('notifiedAt')) {
          if (!item || previous?.jobId !== values[':jobId']) failCondition();
          table!.set(keyOf(input.Key), { ...item, quality: { ...previous, notifiedAt: values[':at'] } });
          return {};
        }
        if (!item || (previous?.jobId === values[':jobId'] && previous?.notifiedAt)) failCondition();
        table!.set(keyOf(input.Key), { ...item, quality: values[':quality'] });
        return {};
      },
    );
  return rows;
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
    process.env.JOBS_TABLE = JOBS_TABLE;
    process.env.RECORDINGS_TABLE = RECORDINGS_TABLE;
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
  });

  beforeEach(() => {
    dynamodb.reset();
    s3.reset();
    telegram.reset();
  });

  it('stores transcript, WER and face ratio of a completed contribution and tells the contributor it was accepted', async () => {
    // Prepare
    const event = sampleEvent();
    const jobId = event.detail.name;
    const recordingId = 'a1b2c3d4e5f6a1b2c3d4e5f6';
    const tables = useTables([jobRow(jobId, recordingId)], [recordingRow(recordingId)]);
    useJobFiles(jobId, { 'result.json': resultDocument(jobId, PROMPT), 'faces.json': facesEverywhere });

    // Act
    const outcome = await handler(event, context);

    // Assess
    expect(outcome).toMatchObject({ outcome: 'reviewed', recordingId, quality: { verdict: 'accepted' } });
    expect(dynamodb).toHaveReceivedCommandWith(GetItemCommand, {
      TableName: JOBS_TABLE,
      Key: { jobId: { S: jobId } },
      ConsistentRead: true,
    });
    expect(s3).toHaveReceivedCommandWith(GetObjectCommand, {
      Bucket: PROCESSED_BUCKET,
      Key: `jobs/${jobId}/result.json`,
    });
    // The verdict, then the mark that the contributor was told.
    expect(dynamodb).toHaveReceivedCommandTimes(UpdateItemCommand, 2);
    expect(dynamodb).toHaveReceivedCommandWith(UpdateItemCommand, {
      TableName: RECORDINGS_TABLE,
      UpdateExpression: 'SET quality.notifiedAt = :at',
    });
    expect(dynamodb).toHaveReceivedCommandWith(UpdateItemCommand, {
      TableName: RECORDINGS_TABLE,
      Key: { recordingId: { S: recordingId } },
      UpdateExpression: 'SET quality = :quality',
      ExpressionAttributeValues: expect.objectContaining({
        ':jobId': { S: jobId },
        ':quality': {
          M: expect.objectContaining({
            jobId: { S: jobId },
            verdict: { S: 'accepted' },
            transcript: { S: PROMPT },
            wer: { N: '0' },
            faceRatio: { N: '1' },
          }),
        },
      }),
    });
    expect(tables[RECORDINGS_TABLE].get(recordingId)?.quality).toMatchObject({ verdict: 'accepted', wer: 0 });
    expect(ssm).toHaveReceivedCommandWith(GetParametersCommand, { Names: [TOKEN_PARAMETER], WithDecryption: true });
    expect(telegram.messagesTo(CHAT_ID).map((message) => message.text)).toEqual([
      MESSAGES.en.quality_accepted.replace('{prompt}', PROMPT),
    ]);
  });

  it('tells the contributor why a failed contribution could not be used', async () => {
    // Prepare
    const jobId = 'f'.repeat(32);
    const recordingId = 'b1b2c3d4e5f6a1b2c3d4e5f6';
    const reason = 'The file has no video stream.';
    useTables(
      [jobRow(jobId, recordingId, { status: 'FAILED', error: { name: 'UnsupportedMediaError', message: reason } })],
      [recordingRow(recordingId)],
    );
    useJobFiles(jobId, {});

    // Act
    const outcome = await handler(executionEvent(jobId, 'FAILED'), context);

    // Assess
    expect(outcome).toMatchObject({ outcome: 'reviewed', quality: { verdict: 'failed', jobStatus: 'FAILED', reason } });
    expect(s3).not.toHaveReceivedAnyCommand();
    expect(dynamodb).toHaveReceivedCommandWith(UpdateItemCommand, {
      TableName: RECORDINGS_TABLE,
      Key: { recordingId: { S: recordingId } },
      ExpressionAttributeValues: expect.objectContaining({
        ':quality': {
          M: expect.objectContaining({ verdict: { S: 'failed' }, jobStatus: { S: 'FAILED' }, reason: { S: reason } }),
        },
      }),
    });
    expect(telegram.messagesTo(CHAT_ID).map((message) => message.text)).toEqual([
      MESSAGES.en.quality_failed.replace('{prompt}', PROMPT).replace('{reason}', reason),
    ]);
  });

  it('ignores the execution of an ordinary upload: no writes, no message', async () => {
    // Prepare
    const jobId = 'a'.repeat(32);
    useTables(
      [
        jobRow(jobId, 'unused', {
          kind: 'upload',
          source: { bucket: 'u', key: 'uploads/talk.mp4', etag: 'e', size: 1 },
        }),
      ],
      [],
    );

    // Act
    const outcome = await handler(executionEvent(jobId, 'SUCCEEDED'), context);

    // Assess
    expect(outcome).toEqual({ outcome: 'ignored', reason: `job ${jobId} is an upload` });
    expect(dynamodb).toHaveReceivedCommandTimes(GetItemCommand, 1);
    expect(dynamodb).not.toHaveReceivedCommand(UpdateItemCommand);
    expect(s3).not.toHaveReceivedAnyCommand();
    expect(telegram.calls).toEqual([]);
  });

  it('handles a repeated event for the same job once: one verdict, one message', async () => {
    // Prepare
    const event = sampleEvent();
    const jobId = event.detail.name;
    const recordingId = 'c1b2c3d4e5f6a1b2c3d4e5f6';
    const tables = useTables([jobRow(jobId, recordingId)], [recordingRow(recordingId)]);
    useJobFiles(jobId, { 'result.json': resultDocument(jobId, PROMPT), 'faces.json': facesEverywhere });

    // Act
    const first = await handler(event, context);
    const checkedFirst = tables[RECORDINGS_TABLE].get(recordingId)?.quality;
    const again = await handler(event, context);

    // Assess
    expect(first).toMatchObject({ outcome: 'reviewed', recordingId });
    expect(again).toEqual({ outcome: 'already-reviewed', recordingId });
    // First delivery: the verdict and the notified mark; the repeat's verdict write is refused.
    expect(dynamodb).toHaveReceivedCommandTimes(UpdateItemCommand, 3);
    expect(tables[RECORDINGS_TABLE].get(recordingId)?.quality).toBe(checkedFirst);
    expect(telegram.callsOf('sendMessage')).toHaveLength(1);
  });

  it('rejects an event that is not an execution status change', async () => {
    // Prepare
    const event = { source: 'aws.s3', detail: { bucket: { name: 'gorggle-uploads' } } };

    // Act
    const invoking = handler(event, context);

    // Assess
    await expect(invoking).rejects.toMatchObject({ name: 'InvalidEventError' });
    expect(dynamodb).not.toHaveReceivedAnyCommand();
    expect(telegram.calls).toEqual([]);
  });
});
