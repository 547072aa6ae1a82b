/**
 * The local S3 answers a read of a missing key as AWS does for the role behind the request:
 * 404 to a role that may list the bucket, 403 to one that may not. Roles come from terraform/,
 * named by each local process's session token.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { LOCAL_CREDENTIALS, resourceNames } from '../../scripts/local-stack/config';
import { LocalRoles, loadLocalModule, sessionTokenFor } from '../../scripts/local-stack/iam-roles';
import { createComponentLog } from '../../scripts/local-stack/logs';
import { startS3, type RunningS3 } from '../../scripts/local-stack/s3/server';
import { REPO_ROOT } from '../support/paths';

const config = {
  terraformDir: path.join(REPO_ROOT, 'terraform'),
  namePrefix: 'gorggle',
  region: 'us-east-1',
  accountId: '000000000000',
  pollIntervalSeconds: 1,
};
const names = resourceNames(config);

let dataDir: string;
let s3: RunningS3;

const clientAs = (role?: string) =>
  new S3Client({
    endpoint: s3.url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: {
      accessKeyId: LOCAL_CREDENTIALS.AWS_ACCESS_KEY_ID,
      secretAccessKey: LOCAL_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
      ...(role ? { sessionToken: sessionTokenFor(role) } : {}),
    },
  });

const statusOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 200,
    (error: { $metadata?: { httpStatusCode?: number } }) => error.$metadata?.httpStatusCode,
  );

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'gorggle-s3-missing-'));
  s3 = await startS3({
    host: '127.0.0.1',
    port: 0,
    directory: path.join(dataDir, 's3'),
    buckets: [names.uploadsBucket, names.processedBucket],
    region: config.region,
    roles: new LocalRoles(await loadLocalModule(config)),
    log: createComponentLog(path.join(dataDir, 'logs'), 's3'),
  });
  await clientAs().send(new PutObjectCommand({ Bucket: names.uploadsBucket, Key: 'uploads/here.mp4', Body: 'video' }));
});

afterAll(async () => {
  await s3?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the local S3 and missing keys', () => {
  it('answers 404 to a role with s3:ListBucket on the bucket (start-pipeline on uploads)', async () => {
    const head = statusOf(
      clientAs('gorggle-start-pipeline').send(
        new HeadObjectCommand({ Bucket: names.uploadsBucket, Key: 'uploads/gone.mp4' }),
      ),
    );
    expect(await head).toBe(404);
  });

  it('answers 403 to a role without it (the api on uploads), for HEAD and GET alike', async () => {
    const api = clientAs('gorggle-api');
    const head = statusOf(api.send(new HeadObjectCommand({ Bucket: names.uploadsBucket, Key: 'uploads/gone.mp4' })));
    const get = statusOf(api.send(new GetObjectCommand({ Bucket: names.uploadsBucket, Key: 'uploads/gone.mp4' })));
    expect([await head, await get]).toEqual([403, 403]);
  });

  it('serves an object that exists, and answers callers without a role (tests, the CLI) as before', async () => {
    const existing = statusOf(
      clientAs('gorggle-api').send(new HeadObjectCommand({ Bucket: names.uploadsBucket, Key: 'uploads/here.mp4' })),
    );
    const anonymous = statusOf(
      clientAs().send(new HeadObjectCommand({ Bucket: names.uploadsBucket, Key: 'uploads/gone.mp4' })),
    );
    expect([await existing, await anonymous]).toEqual([200, 404]);
  });
});
