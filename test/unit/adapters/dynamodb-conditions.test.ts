/**
 * The job rows' and the Rekognition gate's conditional writes, against dynalite with the
 * tables of terraform/: what a late redelivery, a late failure or a burst of jobs really does.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { DynamoDbConcurrencyGate } from '../../../functions/lib/adapters/dynamodb-concurrency-gate';
import { DynamoDbJobRegistry } from '../../../functions/lib/adapters/dynamodb-job-registry';
import type { JobRecord, JobStatus } from '../../../functions/lib/contracts/job';
import { startLocalDynamoDb } from '../../support/local-dynamodb';

let dynamodb: Awaited<ReturnType<typeof startLocalDynamoDb>>;
let now = new Date('2026-01-01T10:00:00Z');
const clock = { now: () => now };

beforeAll(async () => {
  dynamodb = await startLocalDynamoDb(['jobs', 'quota_leases']);
});
afterAll(() => dynamodb?.stop());

describe('job rows', () => {
  const jobs = () => new DynamoDbJobRegistry(dynamodb.client, dynamodb.tables.jobs!, clock);
  const row = (jobId: string, status: JobStatus): JobRecord => ({
    jobId,
    status,
    source: { bucket: 'uploads', key: 'uploads/a.mp4', etag: 'e', size: 10 },
    kind: 'upload',
    owner: 'user-1',
    stages: {},
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  });
  const read = async (jobId: string) =>
    unmarshall(
      (await dynamodb.client.send(new GetItemCommand({ TableName: dynamodb.tables.jobs, Key: marshall({ jobId }) })))
        .Item!,
    );

  it('marks a QUEUED job RUNNING when its execution starts', async () => {
    // Prepare
    await jobs().createIfAbsent(row('queued', 'QUEUED'));

    // Act
    await jobs().setExecution('queued', 'arn:aws:states:us-east-1:1:execution:sm:queued');

    // Assess
    expect(await read('queued')).toMatchObject({
      status: 'RUNNING',
      executionArn: 'arn:aws:states:us-east-1:1:execution:sm:queued',
    });
  });

  it.each(['COMPLETED', 'DEGRADED', 'FAILED'] as const)(
    'keeps a %s job as it is when a late redelivery records its execution again',
    async (status) => {
      // Prepare: the job ended before setExecution ran (or a redelivered message runs it again).
      const jobId = `late-${status.toLowerCase()}`;
      await jobs().createIfAbsent(row(jobId, status));

      // Act
      await jobs().setExecution(jobId, `arn:aws:states:us-east-1:1:execution:sm:${jobId}`);

      // Assess
      expect(await read(jobId)).toMatchObject({
        status,
        executionArn: `arn:aws:states:us-east-1:1:execution:sm:${jobId}`,
      });
    },
  );

  it('fails a running job, but leaves one that already ended alone', async () => {
    // Prepare
    await jobs().createIfAbsent(row('running', 'RUNNING'));
    await jobs().createIfAbsent(row('done', 'COMPLETED'));
    const error = { name: 'ExecutionTimedOut', message: 'The pipeline ran longer than its time limit.' };

    // Act
    const failedRunning = await jobs().fail('running', error);
    const failedDone = await jobs().fail('done', error);

    // Assess
    expect([failedRunning, failedDone]).toEqual([true, false]);
    expect(await read('running')).toMatchObject({ status: 'FAILED', error });
    expect(await read('done')).toMatchObject({ status: 'COMPLETED' });
    expect(await read('done')).not.toHaveProperty('error');
  });
});

describe('the Rekognition concurrency gate', () => {
  const gate = (slots: number) =>
    new DynamoDbConcurrencyGate(dynamodb.client, dynamodb.tables.quota_leases!, {
      gate: `gate-${slots}`,
      slots,
      leaseSeconds: 120,
      clock,
    });

  it('gives a burst of 50 jobs exactly as many slots as there are', async () => {
    // Act
    const granted = await Promise.all(Array.from({ length: 50 }, (_, index) => gate(18).acquire(`job-${index}`)));

    // Assess: each take is one conditional write, so the slots fill exactly, and never overbook.
    expect(granted.filter(Boolean)).toHaveLength(18);
    expect(await gate(18).acquire('job-late')).toBe(false);
    expect(await gate(18).acquire('job-0')).toBe(granted[0]);
  });

  it('frees a slot when its holder releases it or its lease lapses', async () => {
    // Prepare
    const twoSlots = gate(2);
    expect(await twoSlots.acquire('a')).toBe(true);
    expect(await twoSlots.acquire('b')).toBe(true);
    expect(await twoSlots.acquire('c')).toBe(false);

    // Act: a releases; b vanishes (its execution timed out) and its lease runs out.
    await twoSlots.release('a');
    const cAfterRelease = await twoSlots.acquire('c');
    const dBeforeLapse = await twoSlots.acquire('d');
    now = new Date(now.getTime() + 121_000);
    await twoSlots.renew('c');
    const dAfterLapse = await twoSlots.acquire('d');

    // Assess
    expect([cAfterRelease, dBeforeLapse, dAfterLapse]).toEqual([true, false, true]);
  });
});
