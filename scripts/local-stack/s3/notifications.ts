/**
 * Turns s3rver's in-process events into the S3 event notification records that AWS
 * delivers, and applies the bucket notification's prefix/suffix filters.
 *
 * s3rver's records differ from AWS's: the key is not URL-encoded, the bucket ARN is
 * malformed, Copy events carry no eTag and multipart uploads look like POSTs.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { NotificationFilter } from '../terraform-facts';

/** The fields of an s3rver event record this adapter reads. */
export interface S3rverEventRecord {
  eventTime?: string;
  eventName: string;
  requestParameters?: { sourceIPAddress?: string };
  s3: {
    bucket: { name: string };
    object: { key: string; size?: number; eTag?: string; sequencer?: string };
  };
}

export interface S3NotificationRecord {
  eventVersion: '2.1';
  eventSource: 'aws:s3';
  awsRegion: string;
  eventTime: string;
  eventName: string;
  userIdentity: { principalId: string };
  requestParameters: { sourceIPAddress: string };
  responseElements: { 'x-amz-request-id': string; 'x-amz-id-2': string };
  s3: {
    s3SchemaVersion: '1.0';
    configurationId: string;
    bucket: { name: string; ownerIdentity: { principalId: string }; arn: string };
    object: { key: string; size?: number; eTag?: string; versionId?: string; sequencer: string };
  };
}

/**
 * S3 writes keys in notifications form-URL-encoded: a space becomes '+', '/' stays, and
 * everything outside the unreserved set is percent-encoded as UTF-8.
 */
export function encodeS3EventKey(key: string): string {
  return encodeURIComponent(key)
    .replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%2F/g, '/')
    .replace(/%20/g, '+');
}

/** The S3 event type of an s3rver event ('Post' covers both form uploads and multipart). */
export function awsEventName(record: Pick<S3rverEventRecord, 'eventName' | 's3'>): string {
  const eTag = (record.s3.object.eTag ?? '').replace(/"/g, '');
  if (record.eventName === 'ObjectCreated:Post' && /-\d+$/.test(eTag)) {
    return 'ObjectCreated:CompleteMultipartUpload';
  }
  return record.eventName;
}

/** Does `eventName` (e.g. ObjectCreated:Put) fall under `pattern` (e.g. s3:ObjectCreated:*)? */
export function eventMatches(pattern: string, eventName: string): boolean {
  const wanted = pattern.replace(/^s3:/, '');
  return wanted.endsWith(':*') ? eventName.startsWith(wanted.slice(0, -1)) : wanted === eventName;
}

/** The first filter that takes this event (prefix and suffix match the decoded key), or undefined. */
export function matchingFilter(
  filters: readonly NotificationFilter[],
  key: string,
  eventName: string,
): NotificationFilter | undefined {
  return filters.find(
    (filter) =>
      key.startsWith(filter.prefix) &&
      key.endsWith(filter.suffix) &&
      filter.events.some((pattern) => eventMatches(pattern, eventName)),
  );
}

let lastSequencer = 0n;
/** S3's sequencer: a hex string that grows per key; comparing equal-length strings orders events. */
export function nextSequencer(now = Date.now()): string {
  const candidate = BigInt(now) << 16n;
  lastSequencer = candidate > lastSequencer ? candidate : lastSequencer + 1n;
  return lastSequencer.toString(16).toUpperCase().padStart(18, '0');
}

const randomId = (bytes: number) => randomBytes(bytes).toString('hex').toUpperCase();

export interface ToNotificationOptions {
  region: string;
  filters: readonly NotificationFilter[];
  /** Fills a missing eTag (s3rver's Copy events have none). */
  eTagOf?: (bucket: string, key: string) => Promise<string | undefined>;
  /** Only for tests that need fixed values. */
  now?: () => Date;
}

/**
 * Converts one s3rver record into the AWS record, or undefined when the notification's
 * filters would not send it (wrong prefix, suffix or event type).
 */
export async function toS3NotificationRecord(
  record: S3rverEventRecord,
  options: ToNotificationOptions,
): Promise<S3NotificationRecord | undefined> {
  const bucket = record.s3.bucket.name;
  const key = record.s3.object.key;
  const eventName = awsEventName(record);
  const filter = matchingFilter(options.filters, key, eventName);
  if (!filter) return undefined;
  const eTag = record.s3.object.eTag ?? (await options.eTagOf?.(bucket, key));
  const now = options.now?.() ?? new Date();
  const created = eventName.startsWith('ObjectCreated:');
  const object: S3NotificationRecord['s3']['object'] = {
    key: encodeS3EventKey(key),
    ...(created ? { size: record.s3.object.size ?? 0 } : {}),
    ...(created && eTag ? { eTag: eTag.replace(/"/g, '') } : {}),
    sequencer: nextSequencer(now.getTime()),
  };
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: options.region,
    eventTime: record.eventTime ?? now.toISOString(),
    eventName,
    userIdentity: { principalId: 'AWS:LOCAL' },
    requestParameters: { sourceIPAddress: record.requestParameters?.sourceIPAddress ?? '127.0.0.1' },
    responseElements: {
      'x-amz-request-id': randomId(8),
      'x-amz-id-2': createHash('sha256').update(randomId(8)).digest('base64'),
    },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: filter.id,
      bucket: { name: bucket, ownerIdentity: { principalId: 'LOCAL' }, arn: `arn:aws:s3:::${bucket}` },
      object,
    },
  };
}
