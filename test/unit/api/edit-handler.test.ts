/**
 * The caption edit routes through the api handler, with the SDK mocked: a save creates the
 * next version with If-None-Match and names the caller, a lost race is EDIT_CONFLICT, bad
 * names never reach S3, and an export says which version it comes from.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { EditsDocument } from '../../../functions/lib/contracts/documents';
import type { JobRecord } from '../../../functions/lib/contracts/job';
import { handleApiRequest, type ApiPorts } from '../../../functions/lib/api/routes';
import { REPO_ROOT } from '../../support/paths';
import { twoPersonResult } from '../edits/builders';

process.env.JOBS_TABLE = 'gorggle-jobs';
process.env.UPLOADS_BUCKET = 'gorggle-uploads';
process.env.PROCESSED_BUCKET = 'gorggle-processed';
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.AWS_REGION = 'eu-west-1';
process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
process.env.AWS_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';

// Imported after the environment is set: the logger reads it when the module loads.
const { handler } = await import('../../../functions/api/handler');

const dynamodb = mockClient(DynamoDBClient);
const s3 = mockClient(S3Client);

/** The sample events' job; the result is the two-person builder's under this id. */
const JOB_ID = '0f3c9a1b2d4e5f60718293a4b5c6d7e8';
const CALLER = '7d8f2c1e-0000-4000-8000-000000000001';
const context = {
  functionName: 'gorggle-api',
  awsRequestId: 'req',
  getRemainingTimeInMillis: () => 15_000,
} as unknown as Context;
type Event = APIGatewayProxyEventV2WithJWTAuthorizer;

const sampleEvent = (name: string) =>
  JSON.parse(readFileSync(path.join(REPO_ROOT, 'events', 'api', name), 'utf8')) as Event;

async function invoke(event: Event) {
  const response = (await handler(event, context)) as APIGatewayProxyStructuredResultV2;
  const text = String(response.body ?? '');
  return {
    status: response.statusCode,
    headers: response.headers ?? {},
    text,
    body: (response.headers?.['content-type'] ?? '').toString().startsWith('application/json')
      ? JSON.parse(text)
      : undefined,
  };
}

function objectBody(text: string) {
  const stream = Readable.from([Buffer.from(text)]);
  return Object.assign(stream, { transformToString: async () => text });
}

const job: JobRecord = {
  jobId: JOB_ID,
  status: 'COMPLETED',
  kind: 'upload',
  source: { bucket: 'gorggle-uploads', key: 'uploads/2b1e/bbaf2n.mp4', etag: 'abc', size: 1000 },
  owner: CALLER,
  stages: {},
  createdAt: '2026-11-21T10:00:00.000Z',
  updatedAt: '2026-11-21T10:01:00.000Z',
};
const result = { ...twoPersonResult(), jobId: JOB_ID };

/** The job folder in "S3": result.json and the edits versions given. */
function jobFolder(versions: EditsDocument[] = [], owner = CALLER) {
  dynamodb.on(GetItemCommand).resolves({ Item: marshall({ ...job, owner, listPk: 'JOB' }) });
  const objects = [
    { Key: `jobs/${JOB_ID}/result.json`, LastModified: new Date('2026-12-05T16:00:00.000Z') },
    ...versions.map((version) => ({
      Key: `jobs/${JOB_ID}/edits/v${version.number}.json`,
      LastModified: new Date(version.savedAt),
    })),
  ];
  // ListObjectsV2 as S3 answers it: the keys under the prefix asked for.
  s3.on(ListObjectsV2Command).callsFake((input: { Prefix?: string }) => ({
    Contents: objects.filter((object) => object.Key.startsWith(input.Prefix ?? '')),
  }));
  s3.on(GetObjectCommand, { Key: `jobs/${JOB_ID}/result.json` }).resolves({
    Body: objectBody(JSON.stringify(result)) as never,
  });
  for (const version of versions) {
    s3.on(GetObjectCommand, { Key: `jobs/${JOB_ID}/edits/v${version.number}.json` }).resolves({
      Body: objectBody(JSON.stringify(version)) as never,
    });
  }
}

beforeEach(() => {
  dynamodb.reset();
  s3.reset();
});

describe('POST /jobs/{id}/edits', () => {
  it('creates version 1 only if absent, recording who saved it', async () => {
    // Prepare
    jobFolder();
    s3.on(PutObjectCommand).resolves({});

    // Act
    const response = await invoke(sampleEvent('save-edits.json'));

    // Assess
    expect(response.status).toBe(201);
    expect(response.body).toEqual(expect.objectContaining({ version: 1, latest: 1, savedBy: CALLER }));
    const put = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(put).toEqual(
      expect.objectContaining({ Bucket: 'gorggle-processed', Key: `jobs/${JOB_ID}/edits/v1.json`, IfNoneMatch: '*' }),
    );
    expect(JSON.parse(String(put.Body))).toEqual(
      expect.objectContaining({ number: 1, basedOn: 0, speakers: [{ id: 'S1', name: 'Dana Cohen' }] }),
    );
  });

  it('answers 409 EDIT_CONFLICT when S3 says another save took that version first', async () => {
    // Prepare
    jobFolder();
    s3.on(PutObjectCommand).rejects(
      new S3ServiceException({ name: 'PreconditionFailed', $fault: 'client', $metadata: { httpStatusCode: 412 } }),
    );

    // Act
    const response = await invoke(sampleEvent('save-edits.json'));

    // Assess
    expect(response.status).toBe(409);
    expect(response.body.error).toEqual(
      expect.objectContaining({
        code: 'EDIT_CONFLICT',
        message: expect.stringMatching(/^Not saved: you were editing version 0/),
      }),
    );
  });

  it('refuses a name with a direction override and a word with a space, before touching S3', async () => {
    // Prepare
    jobFolder();
    const event = sampleEvent('save-edits.json');
    const body = JSON.parse(event.body!);
    body.speakers = [{ id: 'S1', name: 'Dana\u202eCohen' }];
    body.segments[0].words[0].text = 'two words';
    event.body = JSON.stringify(body);

    // Act
    const response = await invoke(event);

    // Assess
    expect(response.status).toBe(400);
    expect(response.body.error.message).toMatch(
      /speakers\.0\.name: a speaker name must not contain control characters/,
    );
    expect(response.body.error.message).toMatch(/a word must not contain spaces/);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });
});

describe('who may edit', () => {
  /** The sample save as another signed-in user, in the groups given. */
  function saveAs(subject: string, groups: string[]): Event {
    const event = sampleEvent('save-edits.json');
    event.requestContext.authorizer.jwt.claims = { sub: subject, 'cognito:groups': `[${groups.join(' ')}]` };
    return event;
  }

  it("lets an admin edit someone else's job, recording the admin as the one who saved", async () => {
    // Prepare
    jobFolder([], 'the-uploader');
    s3.on(PutObjectCommand).resolves({});

    // Act
    const response = await invoke(saveAs('an-admin', ['admins']));

    // Assess
    expect(response.status).toBe(201);
    expect(response.body.savedBy).toBe('an-admin');
  });

  it('answers another user as if the job did not exist, and writes nothing', async () => {
    // Prepare
    jobFolder([], 'the-uploader');

    // Act
    const response = await invoke(saveAs('someone-else', ['editors']));

    // Assess
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('JOB_NOT_FOUND');
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });
});

describe('GET /jobs/{id}/export', () => {
  it('writes the latest version by the layout asked for, and says which version in a header and its name', async () => {
    // Prepare
    const version1: EditsDocument = {
      version: 1,
      jobId: JOB_ID,
      number: 1,
      basedOn: 0,
      savedAt: '2026-12-05T17:00:00.000Z',
      savedBy: CALLER,
      summary: 'names',
      speakers: [{ id: 'S2', name: 'Ana' }],
      segments: result.segments.map(({ start, end, speaker, words }) => ({
        start,
        end,
        speaker,
        words: words.map(({ start: s, end: e, text, confidence, source }) => ({
          start: s,
          end: e,
          text,
          confidence,
          source,
        })),
      })),
    };
    jobFolder([version1]);

    // Act
    const response = await invoke(sampleEvent('export-captions.json'));

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers).toEqual(
      expect.objectContaining({
        'content-type': 'application/x-subrip; charset=utf-8',
        'content-disposition': 'attachment; filename="interview_1_.captions.v1.srt"',
        'x-gorggle-edits-version': '1',
      }),
    );
    expect(response.text).toContain('Ana: yes I am');
  });

  it('refuses layout rules out of bounds, saying which', async () => {
    // Prepare
    jobFolder();
    const event = sampleEvent('export-captions.json');
    event.queryStringParameters = { format: 'srt', maxLines: '9' };

    // Act
    const response = await invoke(event);

    // Assess
    expect(response.status).toBe(400);
    expect(response.body.error.message).toMatch(/maxLines: Too big/);
  });
});

it('asks the edit access port before a save or a restore, and answers 403 when it says no', async () => {
  // Prepare
  const ports = {
    jobs: { get: async () => job, listRecent: async () => ({ jobs: [] }) },
    edits: { versions: async () => [], read: async () => undefined, createIfAbsent: async () => true },
    files: { read: async () => JSON.stringify(result) },
    editAccess: { mayEdit: () => false },
    now: () => new Date(),
  } as unknown as ApiPorts;
  // The owner, who may read the job, but a port that lets no one edit.
  const caller = { subject: CALLER, groups: [], via: 'jwt' as const };

  // Act
  const refusal = (request: Parameters<typeof handleApiRequest>[0]) =>
    handleApiRequest(request, ports, {} as never).then(
      () => undefined,
      (error: unknown) => error,
    );
  const save = await refusal({
    routeKey: 'POST /jobs/{id}/edits',
    caller,
    pathParameters: { id: JOB_ID },
    body: { basedOn: 0, speakers: [], segments: [] },
  });
  const restore = await refusal({
    routeKey: 'POST /jobs/{id}/edits/{version}/restore',
    caller,
    pathParameters: { id: JOB_ID, version: '0' },
    body: { basedOn: 0 },
  });

  // Assess
  expect(save).toMatchObject({ statusCode: 403, code: 'FORBIDDEN' });
  expect(restore).toMatchObject({ statusCode: 403, code: 'FORBIDDEN' });
});
