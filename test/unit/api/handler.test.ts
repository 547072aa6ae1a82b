import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DynamoDBClient, GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { JobRecord } from '../../../functions/lib/contracts/job';
import { OWNER_INDEX, RECENT_INDEX, RECENT_PARTITION } from '../../../functions/lib/adapters/dynamodb-job-reader';
import {
  OWNER_JOBS_INDEX,
  RECENT_JOBS_INDEX,
  RECENT_JOBS_PARTITION,
} from '../../../functions/lib/adapters/dynamodb-job-repository';
import { BOT_OWNER } from '../../../functions/lib/access/ownership';
import { REPO_ROOT } from '../../support/paths';

const LOCAL_TOKEN = 'local-token-0123456789abcdef';
const MAX_UPLOAD_BYTES = 100 * 1024 * 1024;
process.env.JOBS_TABLE = 'gorggle-jobs';
process.env.UPLOADS_BUCKET = 'gorggle-uploads';
process.env.PROCESSED_BUCKET = 'gorggle-processed';
process.env.MAX_UPLOAD_BYTES = String(MAX_UPLOAD_BYTES);
process.env.LOCAL_API_TOKEN = LOCAL_TOKEN;
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.AWS_REGION = 'eu-west-1';
process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
process.env.AWS_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';

// Imported after the environment is set: the logger reads it when the module loads.
const { handler } = await import('../../../functions/api/handler');

const dynamodb = mockClient(DynamoDBClient);
const s3 = mockClient(S3Client);
const sfn = mockClient(SFNClient);

const JOB_ID = '0f3c9a1b2d4e5f60718293a4b5c6d7e8';
/** The `sub` of the sample events' caller (events/api/*.json). */
const OWNER = '7d8f2c1e-0000-4000-8000-000000000001';
const SOMEONE_ELSE = '5a5a5a5a-0000-4000-8000-000000000002';
const EXECUTION_ARN = `arn:aws:states:eu-west-1:123456789012:execution:gorggle-pipeline:${JOB_ID}`;

const context = {
  functionName: 'gorggle-api',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:gorggle-api',
  memoryLimitInMB: '512',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  getRemainingTimeInMillis: () => 15_000,
} as unknown as Context;

type Event = APIGatewayProxyEventV2WithJWTAuthorizer;

function sampleEvent(name: string): Event {
  return JSON.parse(readFileSync(path.join(REPO_ROOT, 'events', 'api', name), 'utf8')) as Event;
}

/** The same event as a local request: no authorizer claims, the bearer token instead. */
function localEvent(name: string, authorization?: string): Event {
  const event = sampleEvent(name);
  delete (event.requestContext as Partial<Event['requestContext']>).authorizer;
  if (authorization !== undefined) event.headers.authorization = authorization;
  return event;
}

async function invoke(event: Event) {
  const response = (await handler(event, context)) as APIGatewayProxyStructuredResultV2;
  return { status: response.statusCode, headers: response.headers ?? {}, body: JSON.parse(String(response.body)) };
}

/** The sample event as another signed-in user (a valid token, but not the owner's), or an admin. */
function eventAs(name: string, claims: Record<string, unknown>): Event {
  const event = sampleEvent(name);
  event.requestContext.authorizer.jwt.claims = claims as Event['requestContext']['authorizer']['jwt']['claims'];
  return event;
}

/** S3 answers a listing of the job's folder with these files. */
const jobFiles = (...files: string[]) => ({
  Contents: files.map((file) => ({ Key: `jobs/${JOB_ID}/${file}` })),
  KeyCount: files.length,
});

function jobRecord(overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    jobId: JOB_ID,
    status: 'COMPLETED',
    kind: 'upload',
    owner: OWNER,
    source: { bucket: 'gorggle-uploads', key: 'uploads/2b1e/bbaf2n.mp4', etag: 'abc', size: 1_048_576 },
    executionArn: EXECUTION_ARN,
    stages: {
      extract: { status: 'succeeded', startedAt: '2026-11-21T10:00:00.000Z', endedAt: '2026-11-21T10:00:04.500Z' },
      transcribe: { status: 'failed', error: { name: 'TranscriptionFailedError', message: 'no speech' } },
    },
    createdAt: '2026-11-21T10:00:00.000Z',
    updatedAt: '2026-11-21T10:01:00.000Z',
    ...overrides,
  };
}

const storedItem = (job: JobRecord) => marshall({ ...job, listPk: 'JOB' }, { removeUndefinedValues: true });

beforeEach(() => {
  dynamodb.reset();
  s3.reset();
  sfn.reset();
});

describe('authentication', () => {
  it('answers 401 without an Authorization header when no authorizer vouched for the caller', async () => {
    // Act
    const response = await invoke(localEvent('list-jobs.json'));

    // Assess
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe('UNAUTHORIZED');
    expect(response.headers['www-authenticate']).toBe('Bearer');
    expect(dynamodb).not.toHaveReceivedAnyCommand();
  });

  it('answers 401 for a wrong bearer token', async () => {
    // Act
    const response = await invoke(localEvent('list-jobs.json', `Bearer ${LOCAL_TOKEN.replace('0', '1')}`));

    // Assess
    expect(response.status).toBe(401);
    expect(response.body.error.message).toMatch(/token is wrong/);
    expect(dynamodb).not.toHaveReceivedAnyCommand();
  });

  it('lets the right bearer token through', async () => {
    // Prepare
    dynamodb.on(QueryCommand).resolves({ Items: [] });

    // Act
    const response = await invoke(localEvent('list-jobs.json', `Bearer ${LOCAL_TOKEN}`));

    // Assess
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ jobs: [] });
  });

  it('refuses a request without claims in AWS, where no local token is configured', async () => {
    // Prepare
    const { authenticate } = await import('../../../functions/lib/api/auth');

    // Act
    const attempt = () => authenticate({ headers: { authorization: `Bearer ${LOCAL_TOKEN}` } }, undefined);

    // Assess
    expect(attempt).toThrow(expect.objectContaining({ statusCode: 401, code: 'UNAUTHORIZED' }));
  });
});

describe('POST /uploads', () => {
  const uploadEvent = (body: unknown, contentType = 'application/json') => {
    const event = sampleEvent('create-upload.json');
    event.headers['content-type'] = contentType;
    event.body = typeof body === 'string' ? body : JSON.stringify(body);
    return event;
  };

  it('signs a POST whose policy pins the key and type, bounds the size and expires within 15 minutes', async () => {
    // Prepare
    const before = Date.now();

    // Act
    const response = await invoke(sampleEvent('create-upload.json'));

    // Assess
    expect(response.status).toBe(201);
    const { key, url, fields, expiresAt, maxBytes } = response.body;
    expect(key).toMatch(/^uploads\/[0-9a-f-]{36}\/bbaf2n\.mp4$/);
    expect(url).toContain('gorggle-uploads');
    expect(maxBytes).toBe(MAX_UPLOAD_BYTES);
    expect(fields).toEqual(
      expect.objectContaining({
        key,
        'Content-Type': 'video/mp4',
        bucket: 'gorggle-uploads',
        Policy: expect.any(String),
      }),
    );
    const policy = JSON.parse(Buffer.from(fields.Policy, 'base64').toString('utf8'));
    expect(policy.conditions).toEqual(
      expect.arrayContaining([
        ['content-length-range', 1, MAX_UPLOAD_BYTES],
        ['eq', '$Content-Type', 'video/mp4'],
        { key },
        { bucket: 'gorggle-uploads' },
      ]),
    );
    const lifetimeMs = Date.parse(policy.expiration) - before;
    expect(lifetimeMs).toBeGreaterThan(14 * 60_000);
    expect(lifetimeMs).toBeLessThanOrEqual(15 * 60_000 + 1000);
    expect(Date.parse(expiresAt)).toBeLessThanOrEqual(before + 15 * 60_000 + 1000);
  });

  it('sanitises the file name into the last key segment', async () => {
    // Act
    const response = await invoke(
      uploadEvent({ fileName: '../../<img src=x onerror=alert(1)>.MP4', contentType: '', size: 10 }),
    );

    // Assess
    expect(response.status).toBe(201);
    expect(response.body.key).toMatch(/^uploads\/[0-9a-f-]{36}\/[^/<>]+\.mp4$/);
  });

  it.each([
    ['a missing size', { fileName: 'a.mp4', contentType: 'video/mp4' }, 400, 'INVALID_REQUEST', /size/],
    ['a negative size', { fileName: 'a.mp4', size: -1 }, 400, 'INVALID_REQUEST', /size/],
    ['an empty name', { fileName: '  ', size: 10 }, 400, 'INVALID_REQUEST', /fileName/],
    [
      'a type that is not video',
      { fileName: 'notes.pdf', contentType: 'application/pdf', size: 10 },
      415,
      'UPLOAD_REJECTED',
      /\.mp4/,
    ],
    [
      'a type that contradicts the name',
      { fileName: 'a.mp4', contentType: 'video/webm', size: 10 },
      415,
      'UPLOAD_REJECTED',
      /video\/mp4/,
    ],
    [
      'a file over the limit',
      { fileName: 'a.mp4', size: MAX_UPLOAD_BYTES + 1 },
      413,
      'UPLOAD_REJECTED',
      /100 MB limit/,
    ],
  ])('refuses %s', async (_what, body, status, code, message) => {
    // Act
    const response = await invoke(uploadEvent(body));

    // Assess
    expect(response.status).toBe(status);
    expect(response.body.error).toEqual({
      code,
      message: expect.stringMatching(message),
      requestId: context.awsRequestId,
    });
  });

  it('refuses a body that is not JSON, and JSON that does not parse', async () => {
    // Act
    const notJson = await invoke(uploadEvent('fileName=a.mp4', 'application/x-www-form-urlencoded'));
    const broken = await invoke(uploadEvent('{"fileName":'));

    // Assess
    expect([notJson.status, notJson.body.error.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    expect([broken.status, broken.body.error.code]).toEqual([422, 'INVALID_JSON']);
  });
});

describe('GET /jobs', () => {
  it('lists the newest jobs first and hands back a cursor for the next page', async () => {
    // Prepare
    const newer = jobRecord({ jobId: 'b'.repeat(32), createdAt: '2026-11-21T10:05:00.000Z' });
    const older = jobRecord({ jobId: 'a'.repeat(32), createdAt: '2026-11-21T10:00:00.000Z' });
    const lastKey = { jobId: older.jobId, owner: OWNER, createdAt: older.createdAt };
    dynamodb
      .on(QueryCommand)
      .resolves({ Items: [storedItem(newer), storedItem(older)], LastEvaluatedKey: marshall(lastKey) });

    // Act
    const response = await invoke(sampleEvent('list-jobs.json'));

    // Assess
    expect(response.status).toBe(200);
    expect(response.body.jobs.map((job: { jobId: string }) => job.jobId)).toEqual([newer.jobId, older.jobId]);
    expect(response.body.jobs[0]).not.toHaveProperty('listPk');
    expect(response.body.jobs[0].fileName).toBe('bbaf2n.mp4');
    expect(dynamodb).toHaveReceivedCommandWith(QueryCommand, {
      TableName: 'gorggle-jobs',
      IndexName: 'by-owner',
      KeyConditionExpression: '#owner = :owner',
      ExpressionAttributeValues: marshall({ ':owner': OWNER }),
      ScanIndexForward: false,
      Limit: 2,
    });
    expect(typeof response.body.nextCursor).toBe('string');

    // Act: the next page starts where the first ended
    dynamodb.reset();
    dynamodb.on(QueryCommand).resolves({ Items: [] });
    const next = sampleEvent('list-jobs.json');
    next.queryStringParameters = { limit: '2', cursor: response.body.nextCursor };
    const second = await invoke(next);

    // Assess
    expect(second.status).toBe(200);
    expect(second.body).toEqual({ jobs: [] });
    expect(dynamodb).toHaveReceivedCommandWith(QueryCommand, { ExclusiveStartKey: marshall(lastKey) });
  });

  it.each([
    ['limit=0', { limit: '0' }, /limit must be at least 1/],
    ['limit=500', { limit: '500' }, /limit must be at most 100/],
    ['limit=two', { limit: 'two' }, /limit/],
    [
      'a forged cursor',
      { cursor: Buffer.from('{"jobId":"x","listPk":"OTHER","createdAt":"y"}').toString('base64url') },
      /cursor/,
    ],
    [
      "another owner's cursor",
      { cursor: Buffer.from(`{"jobId":"x","owner":"${SOMEONE_ELSE}","createdAt":"y"}`).toString('base64url') },
      /cursor/,
    ],
    ['a cursor that is not JSON', { cursor: 'not-a-cursor' }, /cursor/],
  ])('refuses %s with 400', async (_what, query, message) => {
    // Prepare
    const event = sampleEvent('list-jobs.json');
    event.queryStringParameters = query;

    // Act
    const response = await invoke(event);

    // Assess
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('INVALID_REQUEST');
    expect(response.body.error.message).toMatch(message);
    expect(dynamodb).not.toHaveReceivedCommand(QueryCommand);
  });

  it('reads the indexes the job repository writes', () => {
    expect([RECENT_INDEX, RECENT_PARTITION, OWNER_INDEX]).toEqual([
      RECENT_JOBS_INDEX,
      RECENT_JOBS_PARTITION,
      OWNER_JOBS_INDEX,
    ]);
  });
});

describe('GET /jobs/{id}', () => {
  it('answers the row with all five stages, their durations and errors', async () => {
    // Prepare
    dynamodb.on(GetItemCommand).resolves({ Item: storedItem(jobRecord()) });

    // Act
    const response = await invoke(sampleEvent('get-job.json'));

    // Assess
    expect(response.status).toBe(200);
    expect(response.body.stages.map((stage: { stage: string }) => stage.stage)).toEqual([
      'extract',
      'transcribe',
      'faces',
      'lipreading',
      'fuse',
    ]);
    expect(response.body.stages[0]).toEqual(expect.objectContaining({ status: 'succeeded', durationMs: 4500 }));
    expect(response.body.stages[1].error).toEqual({ name: 'TranscriptionFailedError', message: 'no speech' });
    expect(response.body.stages[2]).toEqual({ stage: 'faces', status: 'pending' });
    expect(dynamodb).toHaveReceivedCommandWith(GetItemCommand, { Key: marshall({ jobId: JOB_ID }) });
  });

  it.each(['get-job.json', 'get-execution.json', 'get-result.json'])(
    'answers 404 for a job that does not exist (%s)',
    async (name) => {
      // Prepare
      dynamodb.on(GetItemCommand).resolves({});

      // Act
      const response = await invoke(sampleEvent(name));

      // Assess
      expect(response.status).toBe(404);
      expect(response.body.error.code).toBe('JOB_NOT_FOUND');
      expect(response.body.error.message).toContain(JOB_ID);
    },
  );

  it('refuses a path id that cannot be a job id', async () => {
    // Prepare
    const event = sampleEvent('get-job.json');
    event.pathParameters = { id: '../etc/passwd' };

    // Act
    const response = await invoke(event);

    // Assess
    expect(response.status).toBe(400);
    expect(dynamodb).not.toHaveReceivedAnyCommand();
  });
});

describe('GET /jobs/{id}/execution', () => {
  const at = (second: number) => new Date(Date.UTC(2026, 10, 21, 10, 0, second));

  it('summarises the history per state, following each branch through previousEventId', async () => {
    // Prepare
    dynamodb.on(GetItemCommand).resolves({ Item: storedItem(jobRecord({ status: 'RUNNING' })) });
    const lambdaError = JSON.stringify({ errorType: 'ServiceThrottledError', errorMessage: 'Rate exceeded' });
    sfn.on(GetExecutionHistoryCommand).resolves({
      events: [
        { id: 1, timestamp: at(0), type: 'ExecutionStarted' },
        {
          id: 2,
          previousEventId: 1,
          timestamp: at(0),
          type: 'TaskStateEntered',
          stateEnteredEventDetails: { name: 'ExtractMedia' },
        },
        { id: 3, previousEventId: 2, timestamp: at(0), type: 'LambdaFunctionScheduled' },
        {
          id: 4,
          previousEventId: 3,
          timestamp: at(1),
          type: 'LambdaFunctionFailed',
          lambdaFunctionFailedEventDetails: { error: 'ServiceThrottledError', cause: lambdaError },
        },
        { id: 5, previousEventId: 4, timestamp: at(3), type: 'LambdaFunctionScheduled' },
        { id: 6, previousEventId: 5, timestamp: at(5), type: 'LambdaFunctionSucceeded' },
        {
          id: 7,
          previousEventId: 6,
          timestamp: at(5),
          type: 'TaskStateExited',
          stateExitedEventDetails: { name: 'ExtractMedia' },
        },
        {
          id: 8,
          previousEventId: 7,
          timestamp: at(5),
          type: 'ParallelStateEntered',
          stateEnteredEventDetails: { name: 'Analyse' },
        },
        {
          id: 9,
          previousEventId: 8,
          timestamp: at(5),
          type: 'TaskStateEntered',
          stateEnteredEventDetails: { name: 'StartTranscription' },
        },
        {
          id: 10,
          previousEventId: 8,
          timestamp: at(5),
          type: 'TaskStateEntered',
          stateEnteredEventDetails: { name: 'StartFaceDetection' },
        },
        { id: 11, previousEventId: 10, timestamp: at(6), type: 'LambdaFunctionScheduled' },
        { id: 12, previousEventId: 9, timestamp: at(6), type: 'LambdaFunctionScheduled' },
        {
          id: 13,
          previousEventId: 11,
          timestamp: at(7),
          type: 'LambdaFunctionFailed',
          lambdaFunctionFailedEventDetails: { error: 'FaceDetectionFailedError', cause: 'bad video' },
        },
        { id: 14, previousEventId: 12, timestamp: at(8), type: 'LambdaFunctionSucceeded' },
        {
          id: 15,
          previousEventId: 14,
          timestamp: at(8),
          type: 'TaskStateExited',
          stateExitedEventDetails: { name: 'StartTranscription' },
        },
      ],
    });

    // Act
    const response = await invoke(sampleEvent('get-execution.json'));

    // Assess
    expect(response.status).toBe(200);
    expect(response.body).toEqual(
      expect.objectContaining({
        executionArn: EXECUTION_ARN,
        status: 'RUNNING',
        startedAt: at(0).toISOString(),
        truncated: false,
      }),
    );
    const byName = Object.fromEntries(response.body.states.map((state: { name: string }) => [state.name, state]));
    expect(byName.ExtractMedia).toEqual(
      expect.objectContaining({
        stage: 'extract',
        status: 'succeeded',
        entered: 1,
        exited: 1,
        retries: 1,
        durationMs: 5000,
        errors: [{ error: 'ServiceThrottledError', cause: 'Rate exceeded', at: at(1).toISOString() }],
      }),
    );
    expect(byName.StartFaceDetection).toEqual(
      expect.objectContaining({
        stage: 'faces',
        status: 'failed',
        retries: 0,
        errors: [expect.objectContaining({ error: 'FaceDetectionFailedError', cause: 'bad video' })],
      }),
    );
    expect(byName.StartTranscription).toEqual(
      expect.objectContaining({ stage: 'transcribe', status: 'succeeded', errors: [] }),
    );
    expect(byName.Analyse).toEqual(expect.objectContaining({ status: 'running', exited: 0 }));
    expect(sfn).toHaveReceivedCommandWith(GetExecutionHistoryCommand, {
      executionArn: EXECUTION_ARN,
      includeExecutionData: false,
    });
  });

  it('answers 429, not 500, when GetExecutionHistory is throttled, and reads one page at most', async () => {
    // Prepare
    dynamodb.on(GetItemCommand).resolves({ Item: storedItem(jobRecord({ status: 'RUNNING' })) });
    sfn
      .on(GetExecutionHistoryCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: {} }));

    // Act
    const response = await invoke(sampleEvent('get-execution.json'));

    // Assess
    expect(response.status).toBe(429);
    expect(response.body.error.code).toBe('TOO_MANY_REQUESTS');
    expect(sfn).toHaveReceivedCommandWith(GetExecutionHistoryCommand, { maxResults: 1000 });
  });

  it('answers 409 while the job has no execution', async () => {
    // Prepare
    dynamodb
      .on(GetItemCommand)
      .resolves({ Item: storedItem(jobRecord({ status: 'QUEUED', executionArn: undefined })) });

    // Act
    const response = await invoke(sampleEvent('get-execution.json'));

    // Assess
    expect(response.status).toBe(409);
    expect(response.body.error.code).toBe('EXECUTION_NOT_STARTED');
    expect(sfn).not.toHaveReceivedAnyCommand();
  });
});

describe('GET /jobs/{id}/result', () => {
  it('signs short-lived links to the files that exist, with download names', async () => {
    // Prepare: faces failed, so there is no faces.json.
    dynamodb.on(GetItemCommand).resolves({ Item: storedItem(jobRecord({ status: 'DEGRADED' })) });
    s3.on(ListObjectsV2Command).resolves(
      jobFiles(
        'result.json',
        'captions.vtt',
        'captions.srt',
        'audio.vtt',
        'visual.vtt',
        'video.mp4',
        'poster.jpg',
        'probe.json',
      ),
    );

    // Act
    const response = await invoke(sampleEvent('get-result.json'));

    // Assess
    expect(response.status).toBe(200);
    expect(Object.keys(response.body.files).sort()).toEqual(
      ['audioCaptions', 'captions', 'captionsSrt', 'poster', 'result', 'video', 'visualCaptions'].sort(),
    );
    const captions = new URL(response.body.files.captions.url);
    expect(captions.pathname).toContain(`jobs/${JOB_ID}/captions.vtt`);
    expect(captions.searchParams.get('X-Amz-Expires')).toBe('900');
    const download = new URL(response.body.files.captionsSrt.downloadUrl);
    expect(download.searchParams.get('response-content-disposition')).toBe(
      `attachment; filename="bbaf2n.captions.srt"; filename*=UTF-8''bbaf2n.captions.srt`,
    );
    expect(s3).toHaveReceivedCommandWith(ListObjectsV2Command, {
      Bucket: 'gorggle-processed',
      Prefix: `jobs/${JOB_ID}/`,
    });
  });

  it('links an audio-only job without a video or poster', async () => {
    // Prepare
    dynamodb.on(GetItemCommand).resolves({ Item: storedItem(jobRecord({ status: 'DEGRADED' })) });
    s3.on(ListObjectsV2Command).resolves(
      jobFiles('result.json', 'captions.vtt', 'captions.srt', 'audio.vtt', 'visual.vtt'),
    );

    // Act
    const response = await invoke(sampleEvent('get-result.json'));

    // Assess
    expect(response.status).toBe(200);
    expect(Object.keys(response.body.files)).not.toEqual(expect.arrayContaining(['video']));
    expect(response.body.files).not.toHaveProperty('poster');
  });

  it('answers 410 with a reason when the result has expired or was deleted', async () => {
    // Prepare
    dynamodb.on(GetItemCommand).resolves({ Item: storedItem(jobRecord()) });
    s3.on(ListObjectsV2Command).resolves({ KeyCount: 0 });

    // Act
    const response = await invoke(sampleEvent('get-result.json'));

    // Assess
    expect(response.status).toBe(410);
    expect(response.body.error).toMatchObject({
      code: 'RESULT_GONE',
      message: expect.stringMatching(/no longer stored \(results are kept 30 days.*Upload the video again/),
    });
  });

  it('answers 409 while the job is still running', async () => {
    // Prepare
    dynamodb.on(GetItemCommand).resolves({ Item: storedItem(jobRecord({ status: 'RUNNING' })) });

    // Act
    const response = await invoke(sampleEvent('get-result.json'));

    // Assess
    expect(response.status).toBe(409);
    expect(response.body.error.code).toBe('RESULT_NOT_READY');
    expect(s3).not.toHaveReceivedAnyCommand();
  });
});

it('answers 404 with the list of routes for a route it does not have', async () => {
  // Prepare
  const event = sampleEvent('list-jobs.json');
  event.routeKey = 'DELETE /jobs/{id}';

  // Act
  const response = await invoke(event);

  // Assess
  expect(response.status).toBe(404);
  expect(response.body.error.code).toBe('ROUTE_NOT_FOUND');
});

it('answers 500 without internals when a dependency fails', async () => {
  // Prepare
  dynamodb.on(GetItemCommand).rejects(new Error('socket hang up at 10.0.0.12'));

  // Act
  const response = await invoke(sampleEvent('get-job.json'));

  // Assess
  expect(response.status).toBe(500);
  expect(response.body.error.code).toBe('INTERNAL');
  expect(response.body.error.message).not.toContain('10.0.0.12');
});

describe('ownership: users see their own jobs, admins see all', () => {
  const ADMIN = { sub: '9e9e9e9e-0000-4000-8000-000000000009', 'cognito:groups': '[admins]' };

  it.each(['get-job.json', 'get-execution.json', 'get-result.json'])(
    "answers another user's %s exactly like a job that does not exist, and reads nothing of it",
    async (name) => {
      // Prepare: a valid token of someone else.
      dynamodb.on(GetItemCommand).resolves({ Item: storedItem(jobRecord()) });
      const mine = await invoke(eventAs(name, { sub: SOMEONE_ELSE }));
      dynamodb.on(GetItemCommand).resolves({});

      // Act
      const missing = await invoke(eventAs(name, { sub: SOMEONE_ELSE }));

      // Assess
      expect(mine).toEqual({ ...missing, headers: mine.headers });
      expect(mine.status).toBe(404);
      expect(s3).not.toHaveReceivedAnyCommand();
      expect(sfn).not.toHaveReceivedAnyCommand();
    },
  );

  it("lists only the caller's own jobs, from the owner index", async () => {
    // Prepare
    dynamodb.on(QueryCommand).resolves({ Items: [] });

    // Act
    await invoke(eventAs('list-jobs.json', { sub: SOMEONE_ELSE }));

    // Assess
    expect(dynamodb).toHaveReceivedCommandWith(QueryCommand, {
      IndexName: 'by-owner',
      ExpressionAttributeValues: marshall({ ':owner': SOMEONE_ELSE }),
    });
    expect(dynamodb).not.toHaveReceivedCommandWith(QueryCommand, { IndexName: 'recent' });
  });

  it("lets the admins group list every job and read the bot's contributions, links included", async () => {
    // Prepare
    const contribution = jobRecord({ kind: 'contribution', owner: BOT_OWNER });
    dynamodb.on(QueryCommand).resolves({ Items: [storedItem(contribution)] });
    dynamodb.on(GetItemCommand).resolves({ Item: storedItem(contribution) });
    s3.on(ListObjectsV2Command).resolves(jobFiles('result.json', 'video.mp4'));

    // Act
    const list = await invoke(eventAs('list-jobs.json', ADMIN));
    const result = await invoke(eventAs('get-result.json', ADMIN));
    const asUser = await invoke(eventAs('get-result.json', { sub: OWNER }));

    // Assess
    expect(dynamodb).toHaveReceivedCommandWith(QueryCommand, { IndexName: 'recent' });
    expect(list.body.jobs).toHaveLength(1);
    expect(result.status).toBe(200);
    expect(Object.keys(result.body.files).sort()).toEqual(['result', 'video']);
    expect(asUser.status).toBe(404);
  });

  it('keeps a job without an owner (an operator upload) to admins', async () => {
    // Prepare
    dynamodb.on(GetItemCommand).resolves({ Item: storedItem(jobRecord({ owner: undefined })) });

    // Act
    const asOwnerOfNothing = await invoke(sampleEvent('get-job.json'));
    const asAdmin = await invoke(eventAs('get-job.json', ADMIN));

    // Assess
    expect([asOwnerOfNothing.status, asAdmin.status]).toEqual([404, 200]);
  });

  it('believes only the authorizer: a JWT in the header with an admin claim gets nowhere', async () => {
    // Prepare: a self-made, unsigned token that says "admin", and no authorizer claims.
    const forged = [
      Buffer.from('{"alg":"none"}').toString('base64url'),
      Buffer.from(JSON.stringify({ sub: OWNER, 'cognito:groups': ['admins'] })).toString('base64url'),
      '',
    ].join('.');

    // Act
    const response = await invoke(localEvent('get-job.json', `Bearer ${forged}`));
    const { authenticate } = await import('../../../functions/lib/api/auth');

    // Assess
    expect(response.status).toBe(401);
    expect(dynamodb).not.toHaveReceivedAnyCommand();
    expect(() => authenticate({ headers: { authorization: `Bearer ${forged}` } }, undefined)).toThrow(
      expect.objectContaining({ statusCode: 401 }),
    );
  });

  it('answers an expired job as gone, before DynamoDB removes its row', async () => {
    // Prepare
    dynamodb
      .on(GetItemCommand)
      .resolves({ Item: storedItem(jobRecord({ expiresAt: Math.floor(Date.now() / 1000) - 60 })) });

    // Act
    const response = await invoke(sampleEvent('get-job.json'));

    // Assess
    expect(response.status).toBe(404);
    expect(response.body.error.message).toMatch(/jobs are kept 30 days/);
  });

  it("pins the caller as the upload's owner in the POST policy", async () => {
    // Act
    const response = await invoke(sampleEvent('create-upload.json'));

    // Assess
    const policy = JSON.parse(Buffer.from(response.body.fields.Policy, 'base64').toString('utf8'));
    expect(response.body.fields['x-amz-meta-owner']).toBe(OWNER);
    expect(policy.conditions).toEqual(expect.arrayContaining([['eq', '$x-amz-meta-owner', OWNER]]));
  });
});
