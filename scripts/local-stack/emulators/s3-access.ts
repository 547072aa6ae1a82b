import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, HeadBucketCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { S3Access } from './types';

export interface S3Location {
  bucket: string;
  key: string;
}

/** s3rver checks signatures against this fixed key pair. */
const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export function s3ClientFor(access: S3Access): S3Client {
  if (typeof access === 'function') return access();
  return new S3Client({
    endpoint: access.endpoint,
    region: access.region ?? 'us-east-1',
    credentials: access.credentials ?? S3RVER_CREDENTIALS,
    // s3rver has no virtual hosts, and streamed uploads with checksums arrive corrupted.
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/**
 * The object a media URI names: `s3://bucket/key` (key taken as is, as Transcribe does), or an
 * https URL in path style (`https://s3.region.amazonaws.com/bucket/key`, or the local endpoint)
 * or virtual-host style (`https://bucket.s3.region.amazonaws.com/key`). Null when it names none.
 */
export function parseMediaUri(uri: string): S3Location | null {
  const s3Uri = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (s3Uri?.[1] && s3Uri[2]) return { bucket: s3Uri[1], key: s3Uri[2] };
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  const path = url.pathname.replace(/^\//, '');
  const virtualHost = /^(.+)\.s3[.-]/.exec(url.hostname);
  if (virtualHost?.[1]) return path ? { bucket: virtualHost[1], key: decodeURIComponent(path) } : null;
  const slash = path.indexOf('/');
  if (slash <= 0 || slash === path.length - 1) return null;
  return { bucket: decodeURIComponent(path.slice(0, slash)), key: decodeURIComponent(path.slice(slash + 1)) };
}

export async function objectExists(client: S3Client, location: S3Location): Promise<boolean> {
  try {
    await client.send(new HeadObjectCommand({ Bucket: location.bucket, Key: location.key }));
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

export async function bucketExists(client: S3Client, bucket: string): Promise<boolean> {
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

function isNotFound(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const name = (error as Error).name;
  return status === 404 || name === 'NotFound' || name === 'NoSuchKey' || name === 'NoSuchBucket';
}

/** Streams an object to a local file; false when the object or bucket does not exist. */
export async function downloadObject(
  client: S3Client,
  location: S3Location,
  filePath: string,
  signal?: AbortSignal,
): Promise<boolean> {
  let body: unknown;
  try {
    const response = await client.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }), {
      abortSignal: signal,
    });
    body = response.Body;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
  if (!(body instanceof Readable)) throw new Error('S3 GetObject returned no readable body');
  await pipeline(body, createWriteStream(filePath), { signal });
  return true;
}

export async function putJson(client: S3Client, location: S3Location, document: unknown): Promise<void> {
  await client.send(
    new PutObjectCommand({
      Bucket: location.bucket,
      Key: location.key,
      Body: JSON.stringify(document),
      ContentType: 'application/json',
    }),
  );
}

/** The https (or local http) address of an object, in path style as the endpoint is configured. */
export async function objectUrl(client: S3Client, location: S3Location): Promise<string> {
  const endpoint = client.config.endpoint ? await client.config.endpoint() : undefined;
  const encodedKey = location.key.split('/').map(encodeURIComponent).join('/');
  if (endpoint) {
    const port = endpoint.port ? `:${endpoint.port}` : '';
    const base = `${endpoint.protocol}//${endpoint.hostname}${port}${endpoint.path.replace(/\/$/, '')}`;
    return `${base}/${location.bucket}/${encodedKey}`;
  }
  const region = await client.config.region();
  return `https://s3.${region}.amazonaws.com/${location.bucket}/${encodedKey}`;
}
