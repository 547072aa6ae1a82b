import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CopyObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { SQSEvent } from 'aws-lambda';
import { LOCAL_CREDENTIALS } from '../../scripts/local-stack/config';
import { createComponentLog } from '../../scripts/local-stack/logs';
import {
  encodeS3EventKey,
  matchingFilter,
  toS3NotificationRecord,
  type S3NotificationRecord,
} from '../../scripts/local-stack/s3/notifications';
import { startS3, type RunningS3 } from '../../scripts/local-stack/s3/server';
import { UploadEventQueue } from '../../scripts/local-stack/s3/upload-event-queue';
import { loadTerraformFacts, type NotificationFilter } from '../../scripts/local-stack/terraform-facts';
import { decodeS3Key, parseS3Notification } from '../../functions/lib/pipeline/s3-notification';
import { REPO_ROOT } from '../support/paths';

const BUCKET = 'gorggle-uploads-000000000000-us-east-1';

describe('S3 event keys and filters', () => {
  let filters: NotificationFilter[];

  beforeAll(async () => {
    filters = (await loadTerraformFacts(path.join(REPO_ROOT, 'terraform'))).uploadFilters;
  });

  it.each([
    ['uploads/my video.mp4', 'uploads/my+video.mp4'],
    ['uploads/vidéo (1) +x.mp4', 'uploads/vid%C3%A9o+%281%29+%2Bx.mp4'],
    ['contributions/ab/c=d&e.MOV', 'contributions/ab/c%3Dd%26e.MOV'],
  ])('encodes %j as S3 does, and start-pipeline decodes it back', (key, encoded) => {
    // Act
    const result = encodeS3EventKey(key);

    // Assess
    expect(result).toBe(encoded);
    expect(decodeS3Key(result)).toBe(key);
  });

  it('takes the prefixes and suffixes Terraform configures, case-sensitively on the suffix', () => {
    // Act / Assess
    expect(matchingFilter(filters, 'uploads/a.mp4', 'ObjectCreated:Put')?.id).toBe('start-pipeline-uploads-mp4');
    expect(matchingFilter(filters, 'contributions/x/y.MOV', 'ObjectCreated:CompleteMultipartUpload')?.id).toBe(
      'start-pipeline-contributions-MOV',
    );
    expect(matchingFilter(filters, 'uploads/a.Mp4', 'ObjectCreated:Put')).toBeUndefined();
    expect(matchingFilter(filters, 'jobs/a.mp4', 'ObjectCreated:Put')).toBeUndefined();
    expect(matchingFilter(filters, 'uploads/notes.txt', 'ObjectCreated:Put')).toBeUndefined();
    expect(matchingFilter(filters, 'uploads/a.mp4', 'ObjectRemoved:Delete')).toBeUndefined();
  });

  it("turns s3rver's record into AWS's: event name, ARN, encoded key, eTag without quotes, sequencer", async () => {
    // Act
    const record = await toS3NotificationRecord(
      {
        eventName: 'ObjectCreated:Post',
        s3: { bucket: { name: BUCKET }, object: { key: 'uploads/big clip.mp4', size: 42, eTag: '"abc-3"' } },
      },
      { region: 'us-east-1', filters },
    );
    const copied = await toS3NotificationRecord(
      { eventName: 'ObjectCreated:Copy', s3: { bucket: { name: BUCKET }, object: { key: 'uploads/c.mp4', size: 1 } } },
      { region: 'us-east-1', filters, eTagOf: async () => '"from-head"' },
    );

    // Assess
    expect(record).toMatchObject({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'us-east-1',
      eventName: 'ObjectCreated:CompleteMultipartUpload',
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 'start-pipeline-uploads-mp4',
        bucket: { name: BUCKET, arn: `arn:aws:s3:::${BUCKET}` },
        object: {
          key: 'uploads/big+clip.mp4',
          size: 42,
          eTag: 'abc-3',
          sequencer: expect.stringMatching(/^[0-9A-F]{18}$/),
        },
      },
    });
    expect(copied?.s3.object).toMatchObject({ eTag: 'from-head' });
    expect(copied!.s3.object.sequencer > record!.s3.object.sequencer).toBe(true);
  });
});

describe('s3rver uploads delivered like S3 -> SQS -> Lambda', () => {
  let dir: string;
  let s3: RunningS3;
  let log: ReturnType<typeof createComponentLog>;
  let client: S3Client;
  const delivered: Array<{ Records: S3NotificationRecord[] }> = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'gorggle-s3-test-'));
    const { uploadFilters } = await loadTerraformFacts(path.join(REPO_ROOT, 'terraform'));
    s3 = await startS3({
      host: '127.0.0.1',
      port: 0,
      directory: path.join(dir, 's3'),
      buckets: [BUCKET, 'other-bucket'],
      region: 'us-east-1',
      notifications: {
        bucket: BUCKET,
        filters: uploadFilters,
        deliver: (notification) => delivered.push(notification),
      },
      log: (log = createComponentLog(path.join(dir, 'logs'), 's3')),
    });
    client = new S3Client({
      endpoint: s3.url,
      region: 'us-east-1',
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      credentials: {
        accessKeyId: LOCAL_CREDENTIALS.AWS_ACCESS_KEY_ID,
        secretAccessKey: LOCAL_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
      },
    });
  });

  afterAll(async () => {
    client.destroy();
    await s3.close();
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps an idle connection open past Node's default (5 s, closed at 6), so a warm Lambda's streamed upload is not reset", async () => {
    // Prepare: one keep-alive connection, as the SDK's agent holds between invocations
    const { hostname, port } = new URL(s3.url);
    const socket = connect(Number(port), hostname);
    let closedAt: number | undefined;
    socket.on('close', () => (closedAt ??= Date.now()));
    const answers: string[] = [];
    socket.on('data', (chunk: Buffer) => answers.push(chunk.toString('latin1')));
    const ask = () =>
      socket.write(`HEAD /${BUCKET} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nConnection: keep-alive\r\n\r\n`);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));

    // Act: a request, an idle spell longer than Node's default keep-alive, then another on the same socket
    ask();
    await new Promise((resolve) => setTimeout(resolve, 7500));
    const idleClosed = closedAt !== undefined;
    ask();
    await new Promise((resolve) => setTimeout(resolve, 500));
    socket.destroy();

    // Assess
    expect(idleClosed).toBe(false);
    expect(answers.join('').match(/^HTTP\/1\.1 \d{3}/gm)).toHaveLength(2);
  }, 20_000);

  it('sends one real notification per matching upload and none for other keys or buckets', async () => {
    // Act
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'uploads/my clip.mp4', Body: 'video bytes' }));
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'uploads/readme.txt', Body: 'text' }));
    await client.send(new PutObjectCommand({ Bucket: 'other-bucket', Key: 'uploads/x.mp4', Body: 'x' }));
    await client.send(
      new CopyObjectCommand({
        Bucket: BUCKET,
        Key: 'contributions/h/r1.mp4',
        CopySource: `${BUCKET}/uploads/my clip.mp4`,
      }),
    );
    for (let attempt = 0; attempt < 50 && delivered.length < 2; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    // Assess
    expect(delivered).toHaveLength(2);
    const [put, copy] = delivered.map((notification) => notification.Records[0]!);
    expect(put).toMatchObject({
      eventName: 'ObjectCreated:Put',
      s3: { object: { key: 'uploads/my+clip.mp4', size: 11, eTag: expect.stringMatching(/^[0-9a-f]{32}$/) } },
    });
    expect(copy).toMatchObject({
      eventName: 'ObjectCreated:Copy',
      s3: { object: { key: 'contributions/h/r1.mp4', eTag: put!.s3.object.eTag } },
    });
    const parsed = parseS3Notification(JSON.stringify(delivered[0]));
    expect(parsed).toMatchObject({ kind: 'records', records: [{ s3: { object: { key: 'uploads/my+clip.mp4' } } }] });
  });

  it('redelivers the messages a batch reports as failed, then dead-letters them after maxReceiveCount', async () => {
    // Prepare
    const deadLetterFile = path.join(dir, 'dead-letters.jsonl');
    const received: SQSEvent[] = [];
    const queue = new UploadEventQueue({
      queueArn: 'arn:aws:sqs:us-east-1:000000000000:gorggle-upload-events',
      region: 'us-east-1',
      batchSize: 10,
      batchWindowMs: 10,
      visibilityTimeoutMs: 10,
      maxReceiveCount: 3,
      deadLetterFile,
      consumer: async (event) => {
        received.push(event);
        return {
          batchItemFailures: event.Records.filter((record) => record.body.includes('bad')).map((record) => ({
            itemIdentifier: record.messageId,
          })),
        };
      },
    });

    // Act
    queue.send(JSON.stringify({ Records: [{ note: 'good' }] }));
    const badId = queue.send(JSON.stringify({ Records: [{ note: 'bad' }] }));
    await queue.idle();
    await queue.close();

    // Assess
    expect(received).toHaveLength(3);
    expect(received[0]!.Records).toHaveLength(2);
    expect(received[0]!.Records[0]).toMatchObject({
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:gorggle-upload-events',
      attributes: { ApproximateReceiveCount: '1' },
    });
    expect(received.slice(1).map((event) => event.Records.map((record) => record.messageId))).toEqual([
      [badId],
      [badId],
    ]);
    expect(received[2]!.Records[0]!.attributes.ApproximateReceiveCount).toBe('3');
    const deadLetters = readFileSync(deadLetterFile, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(deadLetters).toEqual([expect.objectContaining({ messageId: badId, body: expect.stringContaining('bad') })]);
  });

  it('redelivers a whole batch when the consumer throws', async () => {
    // Prepare
    let calls = 0;
    const queue = new UploadEventQueue({
      queueArn: 'arn:aws:sqs:us-east-1:000000000000:q',
      region: 'us-east-1',
      batchSize: 10,
      batchWindowMs: 0,
      visibilityTimeoutMs: 0,
      maxReceiveCount: 5,
      deadLetterFile: path.join(dir, 'unused.jsonl'),
      consumer: async () => {
        calls += 1;
        if (calls < 3) throw new Error('start-pipeline crashed');
      },
    });

    // Act
    queue.send('{}');
    await queue.idle();
    await queue.close();

    // Assess
    expect(calls).toBe(3);
  });
});
