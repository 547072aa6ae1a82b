import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { FailureInput } from '../../../functions/lib/contracts/pipeline';
import { describeFailure, recordFailure } from '../../../functions/lib/pipeline/record-failure';
import { readableError } from '../../../functions/lib/pipeline/readable-reason';
import { REPO_ROOT } from '../../support/paths';

const loadEvent = (name: string) =>
  JSON.parse(readFileSync(path.join(REPO_ROOT, 'events', 'record-failure', name), 'utf8')) as FailureInput;

/** No stack frame, file path, JSON or request id: words for the job page. */
const READABLE = /^(?![\s\S]*(\bat \S+:\d+|\/var\/task|[{}]|"trace"))[\s\S]+$/;

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

  it('says which step ran past its limit for a States.Timeout', () => {
    // Prepare
    const { failure } = loadEvent('states-timeout.json');

    // Act
    const described = describeFailure(failure);

    // Assess
    expect(described).toEqual({
      name: 'States.Timeout',
      message:
        'The step LipReadCheck took longer than its 900 s limit and was stopped. Upload a shorter video, or try again later.',
    });
  });

  it('names an unexpected error in words, without its message, stack trace or paths', () => {
    // Prepare
    const { failure } = loadEvent('lambda-crash.json');

    // Act
    const described = describeFailure(failure);

    // Assess
    expect(described.name).toBe('TypeError');
    expect(described.message).toMatch(READABLE);
    expect(described.message).toMatch(/unexpected error \(TypeError\).*not in your video/);
  });

  it.each([
    ['States.TaskFailed', { Error: 'States.TaskFailed' }, /Step Functions error \(States.TaskFailed\)/],
    [
      'Sandbox.Timedout',
      {
        Error: 'Sandbox.Timedout',
        Cause:
          '{"errorType":"Sandbox.Timedout","errorMessage":"2026-01-01T00:00:00Z 1234 Task timed out after 900.00 seconds"}',
      },
      /ran out of time/,
    ],
    [
      'Lambda.Unknown',
      {
        Error: 'Lambda.Unknown',
        Cause: 'The cause could not be determined because Lambda did not return an error type.',
      },
      /ran out of time/,
    ],
    [
      'Lambda.ServiceException',
      { Error: 'Lambda.ServiceException', Cause: '{"errorMessage":"Lambda is unavailable"}' },
      /AWS Lambda could not run a step \(Lambda.ServiceException\)/,
    ],
  ])('says in words what %s means', (_name, failure, message) => {
    // Act
    const described = describeFailure(failure);

    // Assess
    expect(described.message).toMatch(message);
    expect(described.message).toMatch(READABLE);
  });

  it('keeps the first line of a Gorggle error, which is written for users, and cuts a runaway one', () => {
    // Act
    const long = readableError({
      name: 'UnsupportedMediaError',
      message: `${'x'.repeat(2000)}\n    at probe (/var/task/index.mjs:1:2)`,
    });

    // Assess
    expect(long.message.length).toBeLessThanOrEqual(600);
    expect(long.message).toMatch(READABLE);
  });
});

describe('who is to blame', () => {
  it.each([
    ['a take longer than the bot allows', 'MediaTooLongError'],
    ['a take shorter than the bot asks', 'MediaTooShortError'],
    ['a silent take (nothing to caption)', 'NothingUsableError'],
  ])("keeps %s out of the operator's alarm: the file is at fault", async (_what, name) => {
    // Prepare
    const logged: Array<Record<string, unknown>> = [];
    const ports = {
      jobs: { fail: async () => true } as unknown as Parameters<typeof recordFailure>[1]['jobs'],
      log: { info: (_message: string, attributes: Record<string, unknown>) => void logged.push(attributes) },
    };

    // Act
    const outcome = await recordFailure(
      { jobId: 'job-1', failure: { Error: name, Cause: JSON.stringify({ errorType: name, errorMessage: 'x' }) } },
      ports,
    );

    // Assess
    expect(outcome).toMatchObject({ outcome: 'failed', blame: 'input' });
    expect(logged).toEqual([expect.objectContaining({ blame: 'input', error: name })]);
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
    expect(output).toEqual({
      jobId: event.jobId,
      outcome: 'failed',
      blame: 'input',
      error: describeFailure(event.failure),
    });
    expect(dynamodb).toHaveReceivedCommandTimes(UpdateItemCommand, 1);
    expect(dynamodb).toHaveReceivedCommandWith(UpdateItemCommand, {
      TableName: 'gorggle-jobs',
      Key: { jobId: { S: event.jobId } },
      UpdateExpression: 'SET #status = :failed, #error = :error, updatedAt = :now',
      ConditionExpression: 'attribute_exists(jobId) AND NOT #status IN (:completed, :degraded, :failed)',
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

  it('ends the job of an execution that timed out, which no Catch could record', async () => {
    // Prepare
    const event = JSON.parse(
      readFileSync(path.join(REPO_ROOT, 'events', 'record-failure', 'execution-timed-out.json'), 'utf8'),
    );
    dynamodb.on(UpdateItemCommand).resolves({});

    // Act
    const output = await handler(event, context);

    // Assess
    expect(output).toMatchObject({
      jobId: 'a3f1c2d4e5b6a7c8d9e0f1a2b3c4d5e6',
      outcome: 'failed',
      blame: 'pipeline',
      error: { name: 'ExecutionTimedOut', message: expect.stringMatching(/ran longer than its time limit/) },
    });
  });

  it('leaves a job that already ended as it was when its execution status arrives late', async () => {
    // Prepare
    const event = JSON.parse(
      readFileSync(path.join(REPO_ROOT, 'events', 'record-failure', 'execution-timed-out.json'), 'utf8'),
    );
    event.detail.status = 'ABORTED';
    dynamodb
      .on(UpdateItemCommand)
      .rejects(Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' }));

    // Act
    const output = await handler(event, context);

    // Assess
    expect(output).toMatchObject({ outcome: 'already-ended', error: { name: 'ExecutionAborted' } });
  });
});
