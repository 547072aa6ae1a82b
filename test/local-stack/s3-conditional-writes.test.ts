/**
 * The local stack's S3 answers conditional writes as S3 does (s3rver has none of its own):
 * `If-None-Match: *` creates a key once, then 412 PreconditionFailed; other conditions are
 * not implemented, as in S3; and racing creates of one key leave exactly one winner.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { LOCAL_CREDENTIALS } from '../../scripts/local-stack/config';
import { createComponentLog, type ComponentLog } from '../../scripts/local-stack/logs';
import { startS3, type RunningS3 } from '../../scripts/local-stack/s3/server';

const BUCKET = 'gorggle-processed';

describe("the local stack's S3: conditional writes", () => {
  let dir: string;
  let s3: RunningS3;
  let log: ComponentLog;
  let client: S3Client;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'gorggle-s3-conditional-'));
    s3 = await startS3({
      host: '127.0.0.1',
      port: 0,
      directory: path.join(dir, 's3'),
      buckets: [BUCKET],
      region: 'us-east-1',
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

  const create = (key: string, body: string, condition = '*') =>
    client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, IfNoneMatch: condition }));
  const read = async (key: string) =>
    (await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body?.transformToString();

  it('creates a key once, then refuses with 412 PreconditionFailed and keeps the first body', async () => {
    // Act
    await create('jobs/a/edits/v1.json', 'first');
    const second = create('jobs/a/edits/v1.json', 'second');

    // Assess
    await expect(second).rejects.toMatchObject({ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
    await expect(read('jobs/a/edits/v1.json')).resolves.toBe('first');
  });

  it('answers NotImplemented for a condition S3 does not take on PUT, and writes nothing', async () => {
    // Act
    const put = create('jobs/a/edits/v2.json', 'x', '"some-etag"');

    // Assess
    await expect(put).rejects.toMatchObject({ name: 'NotImplemented', $metadata: { httpStatusCode: 501 } });
    await expect(read('jobs/a/edits/v2.json')).rejects.toMatchObject({ name: 'NoSuchKey' });
  });

  it('lets exactly one of eight racing creates of a key win', async () => {
    // Act
    const outcomes = await Promise.allSettled(
      Array.from({ length: 8 }, (_, index) => create('jobs/b/edits/v1.json', `tab ${index}`)),
    );

    // Assess
    const winners = outcomes.flatMap((outcome, index) => (outcome.status === 'fulfilled' ? [index] : []));
    expect(winners).toHaveLength(1);
    await expect(read('jobs/b/edits/v1.json')).resolves.toBe(`tab ${winners[0]}`);
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') expect(outcome.reason).toMatchObject({ name: 'PreconditionFailed' });
    }
  });
});
