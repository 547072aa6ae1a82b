import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { LOCAL_CREDENTIALS } from '../../scripts/local-stack/config';
import { startDynamoDb, type RunningDynamoDb } from '../../scripts/local-stack/dynamodb';
import { createComponentLog } from '../../scripts/local-stack/logs';
import { startS3, type RunningS3 } from '../../scripts/local-stack/s3/server';

/**
 * While `make local` runs, any page the developer opens may send requests to the local S3
 * and DynamoDB, and with DNS rebinding read the answers. They answer only their own clients
 * (the SDK, the gateway's page) and refuse the rest.
 */

const BUCKET = 'gorggle-uploads-000000000000-us-east-1';
const PAGE = 'http://127.0.0.1:8080';
const EVIL = 'https://evil.example';
const credentials = {
  accessKeyId: LOCAL_CREDENTIALS.AWS_ACCESS_KEY_ID,
  secretAccessKey: LOCAL_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
};

/** A raw request, so the test can set Host as a rebound page would send it. */
function send(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('the local S3 and DynamoDB answer only their own clients', () => {
  let dir: string;
  let s3: RunningS3;
  let dynamodb: RunningDynamoDb;
  let logs: Array<ReturnType<typeof createComponentLog>>;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'gorggle-guard-test-'));
    logs = [createComponentLog(path.join(dir, 'logs'), 's3'), createComponentLog(path.join(dir, 'logs'), 'dynamodb')];
    s3 = await startS3({
      host: '127.0.0.1',
      port: 0,
      directory: path.join(dir, 's3'),
      buckets: [BUCKET],
      region: 'us-east-1',
      log: logs[0]!,
    });
    await s3.allowPageOrigins([PAGE]);
    dynamodb = await startDynamoDb({
      host: '127.0.0.1',
      port: 0,
      directory: path.join(dir, 'dynamodb'),
      region: 'us-east-1',
      tables: [],
      log: logs[1]!,
    });
    const client = new S3Client({ endpoint: s3.url, region: 'us-east-1', forcePathStyle: true, credentials });
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'uploads/private.mp4', Body: 'private bytes' }));
    client.destroy();
  });

  afterAll(async () => {
    await s3.close();
    await dynamodb.close();
    await Promise.all(logs.map((log) => log.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('S3 refuses a request and a CORS preflight from another origin', async () => {
    // Act
    const read = await send(`${s3.url}/${BUCKET}/uploads/private.mp4`, { headers: { origin: EVIL } });
    const preflight = await send(`${s3.url}/${BUCKET}/uploads/new.mp4`, {
      method: 'OPTIONS',
      headers: { origin: EVIL, 'access-control-request-method': 'PUT' },
    });

    // Assess
    expect(read.status).toBe(403);
    expect(read.body).not.toContain('private bytes');
    expect(read.body).toMatch(/refused .* web page at https:\/\/evil\.example/);
    expect(preflight.status).toBe(403);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });

  it("S3 lets the gateway's page through: its CORS rule names that origin", async () => {
    // Act
    const preflight = await send(`${s3.url}/${BUCKET}/uploads/new.mp4`, {
      method: 'OPTIONS',
      headers: { origin: PAGE, 'access-control-request-method': 'PUT' },
    });

    // Assess
    expect(preflight.status).toBe(200);
    // s3rver answers a matched rule with "*"; the rule itself and the guard name one origin.
    expect(preflight.headers['access-control-allow-methods']).toMatch(/PUT/);
  });

  it('S3 and DynamoDB refuse a foreign Host, as a DNS-rebound page sends it', async () => {
    // Prepare
    const port = (url: string) => new URL(url).port;

    // Act
    const fromS3 = await send(`${s3.url}/${BUCKET}/uploads/private.mp4`, {
      headers: { host: `rebound.evil.example:${port(s3.url)}` },
    });
    const fromDynamoDb = await send(dynamodb.url, {
      method: 'POST',
      headers: {
        host: `rebound.evil.example:${port(dynamodb.url)}`,
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'DynamoDB_20120810.ListTables',
      },
      body: '{}',
    });

    // Assess
    expect(fromS3.status).toBe(403);
    expect(fromS3.body).not.toContain('private bytes');
    expect((JSON.parse(fromS3.body) as { message: string }).message).toMatch(
      /Host "rebound\.evil\.example:\d+" is not this server/,
    );
    expect(fromDynamoDb.status).toBe(403);
    expect(fromDynamoDb.body).not.toContain('TableNames');
  });

  it("DynamoDB refuses any request with an Origin, even the gateway's page, and serves the SDK", async () => {
    // Act
    const fromPage = await send(dynamodb.url, {
      method: 'POST',
      headers: {
        origin: PAGE,
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'DynamoDB_20120810.ListTables',
      },
      body: '{}',
    });
    const preflight = await send(dynamodb.url, {
      method: 'OPTIONS',
      headers: { origin: EVIL, 'access-control-request-method': 'POST' },
    });
    const client = new DynamoDBClient({ endpoint: dynamodb.url, region: 'us-east-1', credentials });
    const fromSdk = await client.send(new ListTablesCommand({}));
    client.destroy();

    // Assess
    expect(fromPage.status).toBe(403);
    expect(preflight.status).toBe(403);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    expect(fromSdk.TableNames).toEqual([]);
  });
});
