import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { FailureInput } from '../../../functions/lib/contracts/pipeline';
import { describeFailure } from '../../../functions/lib/pipeline/record-failure';
import { REPO_ROOT } from '../../support/paths';

const loadEvent = (name: string) =>
  JSON.parse(readFileSync(path.join(REPO_ROOT, 'events', 'record-failure', name), 'utf8')) as FailureInput;

describe('describeFailure', () => {
  it("takes the message from a Lambda error's Cause JSON", () => {
    // Prepare
    const { failure } = loadEvent('lambda-error.json');

    // Act
    const described = describeFailure(failure);

    // Assess
    expect(described).toEqual({
      name: 'UnsupportedMediaError',
      message: 'uploads/bbaf2n.mpg has no video or audio stream ffprobe can read. Upload an MP4, MOV or WebM file.',
    });
  });

  it('keeps a plain-text Cause such as a States.Timeout', () => {
    // Prepare
    const { failure } = loadEvent('states-timeout.json');

    // Act
    const described = describeFailure(failure);

    // Assess
    expect(described).toEqual({
      name: 'States.Timeout',
      message: "State 'LipReadCheck' has timed out after 900 seconds.",
    });
  });

  it('says which error stopped the pipeline when there is no Cause', () => {
    expect(describeFailure({ Error: 'States.TaskFailed' })).toEqual({
      name: 'States.TaskFailed',
      message: 'The pipeline stopped with States.TaskFailed.',
    });
  });
});

describe('record-failure handler', () => {
  const dynamodb = mockClient(DynamoDBClient);
  const context = { functionName: 'gorggle-record-failure', awsRequestId: 'req-2' } as Context;
  let handler: (event: unknown, context: Context) => Promise<unknown>;

  beforeAll(async () => {
    process.env.JOBS_TABLE = 'gorggle-jobs';
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    ({ handler } = await import('../../../functions/record-failure/handler'));
  });

  beforeEach(() => dynamodb.reset());

  it('marks the job FAILED with the described error through one conditional UpdateItem', async () => {
    // Prepare
    const event = loadEvent('lambda-error.json');
    dynamodb.on(UpdateItemCommand).resolves({});

    // Act
    const output = await handler(event, context);

    // Assess
    expect(output).toEqual({ jobId: event.jobId, status: 'FAILED', error: describeFailure(event.failure) });
    expect(dynamodb).toHaveReceivedCommandTimes(UpdateItemCommand, 1);
    expect(dynamodb).toHaveReceivedCommandWith(UpdateItemCommand, {
      TableName: 'gorggle-jobs',
      Key: { jobId: { S: event.jobId } },
      UpdateExpression: 'SET #status = :failed, #error = :error, updatedAt = :now',
      ConditionExpression: 'attribute_exists(jobId)',
      ExpressionAttributeNames: { '#status': 'status', '#error': 'error' },
      ExpressionAttributeValues: expect.objectContaining({
        ':failed': { S: 'FAILED' },
        ':error': {
          M: {
            name: { S: 'UnsupportedMediaError' },
            message: {
              S: 'uploads/bbaf2n.mpg has no video or audio stream ffprobe can read. Upload an MP4, MOV or WebM file.',
            },
          },
        },
      }),
    });
  });

  it('rethrows a DynamoDB failure under its own name so the state machine sees it', async () => {
    // Prepare
    const event = loadEvent('states-timeout.json');
    dynamodb.on(UpdateItemCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

    // Act
    const recording = handler(event, context);

    // Assess
    await expect(recording).rejects.toMatchObject({ name: 'ServiceThrottledError' });
  });
});
