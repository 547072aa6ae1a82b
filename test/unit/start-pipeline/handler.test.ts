import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { pipelineInputSchema, type PipelineInput } from '../../../functions/lib/contracts/pipeline';
import { REPO_ROOT } from '../../support/paths';

const STATE_MACHINE_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:gorggle';
const executionArn = (name: string) => `arn:aws:states:eu-west-1:123456789012:execution:gorggle:${name}`;

process.env.JOBS_TABLE = 'gorggle-jobs';
process.env.STATE_MACHINE_ARN = STATE_MACHINE_ARN;
process.env.MAX_UPLOAD_BYTES = String(100 * 1024 * 1024);
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';

// Imported after the environment is set: the logger reads it when the module loads.
const { handler } = await import('../../../functions/start-pipeline/handler');

const dynamodb = mockClient(DynamoDBClient);
const s3 = mockClient(S3Client);
const sfn = mockClient(SFNClient);

const context = {
  functionName: 'gorggle-start-pipeline',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:gorggle-start-pipeline',
  memoryLimitInMB: '256',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

function sampleEvent(name: string): SQSEvent {
  return JSON.parse(readFileSync(path.join(REPO_ROOT, 'events', 'start-pipeline', name), 'utf8')) as SQSEvent;
}

const invoke = (event: unknown) => handler(event as SQSEvent, context) as Promise<SQSBatchResponse>;

function startedInputs(): PipelineInput[] {
  return sfn
    .commandCalls(StartExecutionCommand)
    .map((call) => pipelineInputSchema.parse(JSON.parse(call.args[0].input.input!)));
}

function putItems(): Array<Record<string, unknown>> {
  return dynamodb.commandCalls(PutItemCommand).map((call) => unmarshall(call.args[0].input.Item!));
}

const conditionalCheckFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

beforeEach(() => {
  dynamodb.reset();
  s3.reset();
  sfn.reset();
  dynamodb.on(PutItemCommand).resolves({});
  dynamodb.on(UpdateItemCommand).resolves({});
  s3.on(HeadObjectCommand).resolves({
    ContentLength: 452608,
    ETag: '"9b2cf535f27731c974343645a3985328"',
    Metadata: { reference: 'bin blue at f two now' },
  });
  sfn.on(StartExecutionCommand).callsFake((input: { name: string }) => ({
    executionArn: executionArn(input.name),
    startDate: new Date(),
  }));
});

describe('start-pipeline handler', () => {
  it('creates a QUEUED job and starts an execution named by the job id', async () => {
    // Prepare
    const event = sampleEvent('upload.json');

    // Act
    const response = await invoke(event);

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    const [job] = putItems();
    expect(job).toMatchObject({
      status: 'QUEUED',
      kind: 'upload',
      stages: {},
      source: { bucket: 'gorggle-uploads-123456789012', key: 'uploads/interview.mp4', size: 452608 },
    });
    expect(dynamodb).toHaveReceivedCommandWith(PutItemCommand, {
      TableName: 'gorggle-jobs',
      ConditionExpression: 'attribute_not_exists(jobId)',
    });
    const [input] = startedInputs();
    expect(input).toEqual({
      jobId: job!.jobId,
      source: {
        bucket: 'gorggle-uploads-123456789012',
        key: 'uploads/interview.mp4',
        etag: '9b2cf535f27731c974343645a3985328',
        size: 452608,
      },
      kind: 'upload',
      reference: 'bin blue at f two now',
    });
    expect(input!.jobId).toMatch(/^[0-9a-f]{32}$/);
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: STATE_MACHINE_ARN,
      name: input!.jobId,
    });
    const update = dynamodb.commandCalls(UpdateItemCommand)[0]!.args[0].input;
    expect(update.UpdateExpression).toContain('executionArn = :arn');
    expect(unmarshall(update.ExpressionAttributeValues!)[':arn']).toBe(executionArn(input!.jobId));
  });

  it('decodes a key with spaces, unicode and a plus sign before using it', async () => {
    // Prepare
    const event = sampleEvent('key-with-spaces-and-unicode.json');

    // Act
    await invoke(event);

    // Assess
    expect(startedInputs()[0]!.source.key).toBe('uploads/my videoé +1.mp4');
    expect(s3).toHaveReceivedCommandWith(HeadObjectCommand, { Key: 'uploads/my videoé +1.mp4' });
  });

  it('marks contributions as such and keys their job to the object version', async () => {
    // Prepare
    const event = sampleEvent('contribution.json');
    s3.on(HeadObjectCommand).resolves({ ContentLength: 734003, ETag: '"x"', Metadata: {} });

    // Act
    await invoke(event);

    // Assess
    const [input] = startedInputs();
    expect(input).toMatchObject({ kind: 'contribution', source: { versionId: '3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY' } });
    expect(input).not.toHaveProperty('reference');
  });

  it('gives the same event the same job id, and another version another one', async () => {
    // Prepare
    const event = sampleEvent('contribution.json');
    const otherVersion = sampleEvent('contribution.json');
    const body = JSON.parse(otherVersion.Records[0]!.body);
    body.Records[0].s3.object.versionId = 'a-newer-version';
    otherVersion.Records[0]!.body = JSON.stringify(body);

    // Act
    await invoke(event);
    await invoke(event);
    await invoke(otherVersion);

    // Assess
    const [first, again, other] = putItems().map((item) => item.jobId);
    expect(again).toBe(first);
    expect(other).not.toBe(first);
  });

  it('starts nothing for a duplicate event whose job already has an execution', async () => {
    // Prepare
    const event = sampleEvent('upload.json');
    dynamodb.on(PutItemCommand).rejects(conditionalCheckFailed());
    dynamodb.on(GetItemCommand).callsFake((input: { Key: Parameters<typeof unmarshall>[0] }) => ({
      Item: marshall({
        ...unmarshall(input.Key),
        status: 'RUNNING',
        executionArn: executionArn('earlier'),
        stages: {},
      }),
    }));

    // Act
    const response = await invoke(event);

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(dynamodb).not.toHaveReceivedCommand(UpdateItemCommand);
  });

  it('starts the execution when an earlier attempt wrote the job but crashed before starting it', async () => {
    // Prepare
    const event = sampleEvent('upload.json');
    dynamodb.on(PutItemCommand).rejects(conditionalCheckFailed());
    dynamodb.on(GetItemCommand).callsFake((input: { Key: Parameters<typeof unmarshall>[0] }) => ({
      Item: marshall({ ...unmarshall(input.Key), status: 'QUEUED', stages: {} }),
    }));

    // Act
    const response = await invoke(event);

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    expect(dynamodb).toHaveReceivedCommandTimes(UpdateItemCommand, 1);
  });

  it('treats ExecutionAlreadyExists as started and records the existing execution', async () => {
    // Prepare
    const event = sampleEvent('upload.json');
    sfn
      .on(StartExecutionCommand)
      .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));

    // Act
    const response = await invoke(event);

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    const jobId = putItems()[0]!.jobId as string;
    const update = dynamodb.commandCalls(UpdateItemCommand)[0]!.args[0].input;
    expect(unmarshall(update.ExpressionAttributeValues!)[':arn']).toBe(executionArn(jobId));
  });

  it('fails the job of an empty upload without starting an execution, and does not retry it', async () => {
    // Prepare
    const event = sampleEvent('zero-byte.json');

    // Act
    const response = await invoke(event);

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(putItems()[0]).toMatchObject({
      status: 'FAILED',
      error: { name: 'UploadRejectedError', message: 'The file is empty (0 bytes). Upload the video again.' },
      source: { key: 'uploads/empty.mp4', size: 0 },
    });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('fails the job of an upload over MAX_UPLOAD_BYTES and says how to fix it', async () => {
    // Prepare
    const event = sampleEvent('oversize.json');

    // Act
    const response = await invoke(event);

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    const [job] = putItems();
    expect(job).toMatchObject({ status: 'FAILED', error: { name: 'UploadRejectedError' } });
    expect((job!.error as { message: string }).message).toBe(
      'The file is 5 GB, more than the 100 MB limit. Trim or compress the video to under 100 MB and upload it again.',
    );
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('ignores keys outside the upload prefixes or extensions, and the S3 test event', async () => {
    // Prepare
    const ignored = sampleEvent('ignored-key.json');
    const testEvent = sampleEvent('test-event.json');

    // Act
    const responses = [await invoke(ignored), await invoke(testEvent)];

    // Assess
    expect(responses).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
    expect(dynamodb.calls()).toHaveLength(0);
    expect(s3.calls()).toHaveLength(0);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('makes the job of a deleted upload FAILED at once, with a reason, instead of retrying it into the DLQ', async () => {
    // Prepare: with s3:ListBucket S3 answers 404 for the deleted object.
    const event = sampleEvent('upload.json');
    s3.on(HeadObjectCommand).rejects(Object.assign(new Error('Not Found'), { name: 'NotFound' }));

    // Act
    const response = await invoke(event);

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(putItems()).toEqual([
      expect.objectContaining({
        status: 'FAILED',
        error: {
          name: 'SourceObjectMissingError',
          message: expect.stringMatching(/was deleted before processing began\. Upload the file again\./),
        },
      }),
    ]);
  });

  it('reports only the failed messages of a batch so SQS retries just those', async () => {
    // Prepare
    const event = sampleEvent('batch-with-a-failing-record.json');
    const [first, second, garbage] = event.Records;
    sfn.on(StartExecutionCommand).callsFake((input: { name: string; input: string }) => {
      if ((JSON.parse(input.input) as PipelineInput).source.key === 'uploads/second.mp4') {
        throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      }
      return { executionArn: executionArn(input.name), startDate: new Date() };
    });

    // Act
    const response = await invoke(event);

    // Assess
    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: second!.messageId },
      { itemIdentifier: garbage!.messageId },
    ]);
    expect(response.batchItemFailures).not.toContainEqual({ itemIdentifier: first!.messageId });
    expect(startedInputs().map((input) => input.source.key)).toEqual(
      expect.arrayContaining(['uploads/first.mp4', 'uploads/second.mp4']),
    );
  });

  it('rejects an event that is not an SQS batch', async () => {
    // Prepare
    const event = { detail: 'an EventBridge event sent here by mistake' };

    // Act
    const result = invoke(event);

    // Assess
    await expect(result).rejects.toMatchObject({ name: 'InvalidEventError' });
  });
});
