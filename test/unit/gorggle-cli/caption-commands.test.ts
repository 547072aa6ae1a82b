/**
 * `gorggle export` and `gorggle speakers` against a real s3rver with S3's conditional
 * writes, found through a local stack lock file as the CLI finds a running stack.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { marshall } from '@aws-sdk/util-dynamodb';
import dynalite from 'dynalite';
import { S3EditsStore } from '../../../functions/lib/adapters/s3-edits-store';
import { runCli } from '../../../scripts/gorggle-cli/main';
import { LOCK_FILE_NAME } from '../../../scripts/gorggle-cli/target';
import { resolveConfig, resourceNames } from '../../../scripts/local-stack/config';
import { startLocalS3 } from '../../support/local-s3';
import { JOB_ID, twoPersonResult } from '../edits/builders';

function captureIo() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: { write: (text: string) => out.push(text) }, stderr: { write: (text: string) => err.push(text) } },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

describe('gorggle export and gorggle speakers', () => {
  let dataDir: string;
  let bucket: string;
  let s3: Awaited<ReturnType<typeof startLocalS3>>;
  const dynamo = dynalite({ createTableMs: 0 });

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'gorggle-cli-edits-'));
    const names = resourceNames(resolveConfig({ dataDir }));
    bucket = names.processedBucket;
    s3 = await startLocalS3([bucket]);
    await new Promise<void>((resolve) => dynamo.listen(0, '127.0.0.1', () => resolve()));
    const dynamoUrl = `http://127.0.0.1:${(dynamo.address() as AddressInfo).port}`;
    const dynamodb = new DynamoDBClient({
      endpoint: dynamoUrl,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    await dynamodb.send(
      new CreateTableCommand({
        TableName: names.jobsTable,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'jobId', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'jobId', KeyType: 'HASH' }],
      }),
    );
    await dynamodb.send(
      new PutItemCommand({
        TableName: names.jobsTable,
        Item: marshall({
          jobId: JOB_ID,
          status: 'COMPLETED',
          kind: 'upload',
          source: { bucket: 'uploads', key: 'uploads/abc/interview.mp4', etag: 'e', size: 1 },
          stages: {},
          createdAt: '2026-12-05T16:00:00.000Z',
          updatedAt: '2026-12-05T16:01:00.000Z',
        }),
      }),
    );
    dynamodb.destroy();
    const lock = {
      pid: process.pid,
      startedAt: new Date().toISOString(),
      endpoints: { s3: s3.endpoint, dynamodb: dynamoUrl, sfn: 'http://127.0.0.1:9' },
    };
    await writeFile(path.join(dataDir, LOCK_FILE_NAME), JSON.stringify(lock));
    await s3.client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `jobs/${JOB_ID}/result.json`,
        Body: JSON.stringify(twoPersonResult()),
      }),
    );
  }, 60_000);

  afterAll(async () => {
    await s3?.stop();
    await new Promise<void>((resolve) => dynamo.close(() => resolve()));
    await rm(dataDir, { recursive: true, force: true });
  });

  const cli = async (...args: string[]) => {
    const capture = captureIo();
    const code = await runCli([...args, '--data-dir', dataDir], capture.io);
    return { code, out: capture.out(), err: capture.err() };
  };

  it('names speakers, saving a version, and exports the captions with the names by the layout asked for', async () => {
    // Act
    const named = await cli('speakers', JOB_ID, '--name', 'S1=Dana Cohen', '--name', 'S2=Ana');
    const srt = await cli('export', JOB_ID, '--format', 'srt');
    const narrow = await cli('export', JOB_ID, '--format', 'vtt', '--max-chars', '24', '--max-lines', '1');
    const original = await cli('export', JOB_ID, '--format', 'srt', '--version', '0');
    const out = path.join(dataDir, 'captions.json');
    const json = await cli('export', JOB_ID, '--format', 'json', '--out', out);
    const shown = await cli('show', JOB_ID);

    // Assess
    expect(named.code).toBe(0);
    expect(named.out).toBe(
      [
        `Speakers of job ${JOB_ID} (edits version 1, just saved):`,
        '  S1  Dana Cohen (was Speaker 1): face face-1, voice spk_0',
        '  S2  Ana (was Speaker 2): face face-2, voice spk_1',
        '',
      ].join('\n'),
    );
    expect(srt.out).toContain('Dana Cohen: are you reddy now');
    expect(srt.out).toContain('Ana: yes I am');
    expect(narrow.out).toContain('<v Dana Cohen>Dana Cohen: are you\n');
    expect(narrow.out).toContain('edited captions version 1');
    expect(original.out).toContain('Speaker 1: are you reddy now');
    expect(json.err).toMatch(/Wrote .*captions\.json \(edits version 1\)/);
    expect(JSON.parse(await readFile(out, 'utf8')).speakers[0].label).toBe('Dana Cohen');
    expect(shown.out).toMatch(/Dana Cohen[^\n]*: are you reddy now/);
    expect(shown.out).toMatch(/S2 Ana: /);
  });

  it('says what was wrong with a bad name, an unknown speaker or a bad layout, and saves nothing', async () => {
    // Prepare
    const before = await new S3EditsStore(s3.client, bucket).versions(JOB_ID);

    // Act
    const noEquals = await cli('speakers', JOB_ID, '--name', 'Dana');
    const unknown = await cli('speakers', JOB_ID, '--name', 'S9=Nobody');
    const control = await cli('speakers', JOB_ID, '--name', 'S1=Dana\u0007');
    const layout = await cli('export', JOB_ID, '--max-chars', '5');

    // Assess
    expect([noEquals.code, unknown.code, control.code, layout.code]).toEqual([1, 1, 1, 1]);
    expect(noEquals.err).toMatch(/--name takes SPEAKER=NAME, e\.g\. --name S1="Dana Cohen"/);
    expect(unknown.err).toMatch(/has no speaker S9; it has S1, S2/);
    expect(control.err).toMatch(/must not contain control characters/);
    expect(layout.err).toMatch(/Cannot export: maxLineChars: Too small/);
    expect(await new S3EditsStore(s3.client, bucket).versions(JOB_ID)).toEqual(before);
  });

  it('lets exactly one of six racing saves of the same version through S3', async () => {
    // Prepare
    const store = new S3EditsStore(s3.client, bucket);
    const latest = Math.max(...(await store.versions(JOB_ID)).map((info) => info.version));
    const document = {
      version: 1 as const,
      jobId: JOB_ID,
      number: latest + 1,
      basedOn: latest,
      savedAt: new Date().toISOString(),
      savedBy: 'test',
      summary: 'race',
      speakers: [],
      segments: [],
    };

    // Act
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, (_, index) => store.createIfAbsent({ ...document, savedBy: `tab-${index}` })),
    );

    // Assess
    expect(outcomes.filter(Boolean)).toHaveLength(1);
    const winner = outcomes.indexOf(true);
    expect((await store.read(JOB_ID, latest + 1))?.savedBy).toBe(`tab-${winner}`);
  });
});
