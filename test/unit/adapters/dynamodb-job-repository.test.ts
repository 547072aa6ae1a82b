import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDbJobRegistry } from '../../../functions/lib/adapters/dynamodb-job-registry';
import type { JobRecord } from '../../../functions/lib/contracts/job';

const dynamodb = mockClient(DynamoDBClient);
const NOW = '2025-11-21T10:00:00.000Z';
const jobs = new DynamoDbJobRegistry(new DynamoDBClient({}), 'gorggle-jobs', { now: () => new Date(NOW) });

const job: JobRecord = {
  jobId: 'a1b2c3',
  status: 'QUEUED',
  source: { bucket: 'uploads', key: 'uploads/a.mp4', etag: 'e', size: 10 },
  kind: 'upload',
  stages: {},
  createdAt: NOW,
  updatedAt: NOW,
};

const lastUpdate = () => {
  const input = dynamodb.commandCalls(UpdateItemCommand).at(-1)!.args[0].input;
  return { ...input, values: unmarshall(input.ExpressionAttributeValues!) };
};

beforeEach(() => {
  dynamodb.reset();
  dynamodb.on(PutItemCommand).resolves({});
  dynamodb.on(UpdateItemCommand).resolves({});
});

describe('DynamoDbJobRepository', () => {
  it('creates a job with a conditional put and lists it in the recent-jobs index', async () => {
    // Act
    const created = await jobs.createIfAbsent(job);

    // Assess
    expect(created).toBe(true);
    const put = dynamodb.commandCalls(PutItemCommand)[0]!.args[0].input;
    expect(put).toMatchObject({ TableName: 'gorggle-jobs', ConditionExpression: 'attribute_not_exists(jobId)' });
    expect(unmarshall(put.Item!)).toEqual({ ...job, listPk: 'JOB' });
  });

  it('answers false, without throwing, when the job already exists', async () => {
    // Prepare
    dynamodb
      .on(PutItemCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));

    // Act
    const created = await jobs.createIfAbsent(job);

    // Assess
    expect(created).toBe(false);
  });

  it('lets other put errors through', async () => {
    // Prepare
    dynamodb.on(PutItemCommand).rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));

    // Act
    const result = jobs.createIfAbsent(job);

    // Assess
    await expect(result).rejects.toMatchObject({ name: 'ThrottlingException' });
  });

  it('reads a job with a consistent read and without the index key', async () => {
    // Prepare
    dynamodb
      .on(GetItemCommand, { Key: marshall({ jobId: 'a1b2c3' }) })
      .resolves({ Item: marshall({ ...job, listPk: 'JOB' }) });
    dynamodb.on(GetItemCommand, { Key: marshall({ jobId: 'nope' }) }).resolves({});

    // Act
    const found = await jobs.get('a1b2c3');
    const missing = await jobs.get('nope');

    // Assess
    expect(found).toEqual(job);
    expect(missing).toBeUndefined();
    expect(dynamodb).toHaveReceivedCommandWith(GetItemCommand, { ConsistentRead: true });
  });

  it('updates one stage in place, only on an existing row', async () => {
    // Act
    await jobs.updateStage('a1b2c3', 'extract', { status: 'running', startedAt: NOW, error: undefined });

    // Assess
    const update = lastUpdate();
    expect(update).toMatchObject({
      Key: marshall({ jobId: 'a1b2c3' }),
      UpdateExpression: 'SET stages.#stage = :record, updatedAt = :now',
      ConditionExpression: 'attribute_exists(jobId)',
      ExpressionAttributeNames: { '#stage': 'extract' },
    });
    expect(update.values).toEqual({ ':record': { status: 'running', startedAt: NOW }, ':now': NOW });
  });

  it('records the execution and marks the job RUNNING only while it is QUEUED', async () => {
    // Act
    await jobs.setExecution('a1b2c3', 'arn:aws:states:eu-west-1:1:execution:sm:a1b2c3');

    // Assess
    const update = lastUpdate();
    expect(update.UpdateExpression).toBe('SET executionArn = :arn, #status = :running, updatedAt = :now');
    expect(update.ConditionExpression).toBe('attribute_exists(jobId) AND #status = :queued');
    expect(update.ExpressionAttributeNames).toEqual({ '#status': 'status' });
    expect(update.values).toMatchObject({
      ':arn': 'arn:aws:states:eu-west-1:1:execution:sm:a1b2c3',
      ':running': 'RUNNING',
      ':queued': 'QUEUED',
    });
  });

  it('fails and finishes jobs with the reserved words escaped', async () => {
    // Act
    await jobs.fail('a1b2c3', { name: 'UnsupportedMediaError', message: 'no streams' });
    const failed = lastUpdate();
    await jobs.finish('a1b2c3', 'DEGRADED', { words: 3, degradedReasons: ['no face'] });
    const finished = lastUpdate();

    // Assess
    expect(failed.UpdateExpression).toBe('SET #status = :failed, #error = :error, updatedAt = :now');
    expect(failed.ConditionExpression).toBe(
      'attribute_exists(jobId) AND NOT #status IN (:completed, :degraded, :failed)',
    );
    expect(failed.ExpressionAttributeNames).toEqual({ '#error': 'error', '#status': 'status' });
    expect(failed.values[':error']).toEqual({ name: 'UnsupportedMediaError', message: 'no streams' });
    expect(finished.values).toMatchObject({
      ':status': 'DEGRADED',
      ':summary': { words: 3, degradedReasons: ['no face'] },
    });
  });
});
