import { createHash } from 'node:crypto';
import { extensionOf } from '../api/media-types';
import { OWNER_METADATA_KEY, ownerOfSource } from '../access/ownership';
import type { ErrorInfo } from '../contracts/common';
import type { JobRecord } from '../contracts/job';
import { pipelineInputSchema, type PipelineInput } from '../contracts/pipeline';
import { SourceObjectMissingError, UploadRejectedError, describeError } from '../errors';
import type { Clock, ExecutionStarter, JobRegistry, ObjectStore } from '../ports';
import { decodeS3Key, parseS3Notification, type S3EventRecord } from './s3-notification';

/** Key prefixes that start a job, and the kind of job each one makes. */
export const UPLOAD_PREFIXES: Readonly<Record<string, PipelineInput['kind']>> = {
  'uploads/': 'upload',
  'contributions/': 'contribution',
};

/** S3 strips `x-amz-meta-` and lower-cases user metadata keys. */
export const REFERENCE_METADATA_KEY = 'reference';
/** 'uri' when `reference` is URI-encoded (S3 metadata is ASCII; a Hebrew reference is not). */
export const REFERENCE_ENCODING_METADATA_KEY = 'reference-encoding';
export const LANGUAGE_METADATA_KEY = 'transcribe-language';
export const MIN_DURATION_METADATA_KEY = 'min-duration-sec';
export const MAX_DURATION_METADATA_KEY = 'max-duration-sec';

/** What the Powertools Logger offers, and all this code needs from it. */
export interface Log {
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
}

export interface StartPipelinePorts {
  jobs: JobRegistry;
  objects: ObjectStore;
  executions: ExecutionStarter;
  clock: Clock;
  log: Log;
}

export interface StartPipelineOptions {
  maxUploadBytes: number;
  /** Lower-case, without the dot. */
  allowedExtensions: readonly string[];
  /** Days a job row lives (its DynamoDB TTL): as long as the job's files in the processed bucket. */
  retentionDays: number;
}

export type UploadOutcome =
  | { outcome: 'started'; jobId: string; executionArn: string; alreadyStarted: boolean }
  | { outcome: 'duplicate'; jobId: string }
  | { outcome: 'rejected'; jobId: string; error: ErrorInfo }
  | { outcome: 'ignored'; reason: string };

export interface QueueMessage {
  messageId: string;
  body: string;
}

/**
 * Handles one SQS batch of S3 notifications. Every message is tried; the ids of those that
 * failed come back so SQS retries only them (and dead-letters them in the end).
 */
export async function startPipelineForMessages(
  messages: readonly QueueMessage[],
  ports: StartPipelinePorts,
  options: StartPipelineOptions,
): Promise<{ batchItemFailures: Array<{ itemIdentifier: string }> }> {
  const settled = await Promise.allSettled(messages.map((message) => startPipelineForMessage(message, ports, options)));
  const batchItemFailures: Array<{ itemIdentifier: string }> = [];
  messages.forEach((message, index) => {
    const result = settled[index];
    if (result?.status !== 'rejected') return;
    ports.log.warn('message failed; SQS will retry it', {
      messageId: message.messageId,
      error: describeError(result.reason),
    });
    batchItemFailures.push({ itemIdentifier: message.messageId });
  });
  return { batchItemFailures };
}

export async function startPipelineForMessage(
  message: QueueMessage,
  ports: StartPipelinePorts,
  options: StartPipelineOptions,
): Promise<UploadOutcome[]> {
  const notification = parseS3Notification(message.body);
  if (notification.kind === 'test-event') {
    ports.log.info('ignored the s3:TestEvent that S3 sends when notifications are configured', {
      messageId: message.messageId,
    });
    return [];
  }
  const outcomes: UploadOutcome[] = [];
  // One at a time: a message almost always holds a single record.
  for (const record of notification.records) {
    const outcome = await startPipelineForRecord(record, ports, options);
    ports.log.info(`upload ${outcome.outcome}`, { messageId: message.messageId, ...outcome });
    outcomes.push(outcome);
  }
  return outcomes;
}

/** Creates the job for one uploaded object and starts its execution, at most once. */
export async function startPipelineForRecord(
  record: S3EventRecord,
  ports: StartPipelinePorts,
  options: StartPipelineOptions,
): Promise<UploadOutcome> {
  const bucket = record.s3.bucket.name;
  const key = decodeS3Key(record.s3.object.key);
  if (!record.eventName.startsWith('ObjectCreated:')) {
    return { outcome: 'ignored', reason: `event ${record.eventName} on s3://${bucket}/${key} creates nothing` };
  }
  const kind = jobKindFor(key);
  if (!kind) {
    return {
      outcome: 'ignored',
      reason: `s3://${bucket}/${key} is outside ${Object.keys(UPLOAD_PREFIXES).join(', ')}`,
    };
  }
  const extension = extensionOf(key);
  if (!options.allowedExtensions.includes(extension)) {
    return {
      outcome: 'ignored',
      reason: `s3://${bucket}/${key} does not end in .${options.allowedExtensions.join(', .')}`,
    };
  }

  const { versionId, eTag, sequencer } = record.s3.object;
  // The version the event announced, not whatever the key holds by now (R11).
  const head = await ports.objects.head({ bucket, key, ...(versionId ? { versionId } : {}) });
  const source: PipelineInput['source'] = {
    bucket,
    key,
    ...(versionId ? { versionId } : {}),
    etag: (eTag ?? head?.etag ?? '').replaceAll('"', ''),
    // S3 always reports the size of a created object; hand-made events may not.
    size: record.s3.object.size ?? head?.size ?? 0,
  };
  const jobId = deriveJobId(bucket, key, versionId || source.etag || sequencer || '');
  const now = ports.clock.now();
  const owner = ownerOfSource(kind, head?.metadata[OWNER_METADATA_KEY]);
  const job: JobRecord = {
    jobId,
    status: 'QUEUED',
    source,
    kind,
    ...(owner ? { owner } : {}),
    stages: {},
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    expiresAt: Math.floor(now.getTime() / 1000) + options.retentionDays * SECONDS_PER_DAY,
  };

  const rejection = head
    ? rejectionFor(source.size, options.maxUploadBytes)
    : new SourceObjectMissingError(`${fileNameOf(key)} was deleted before processing began. Upload the file again.`);
  if (rejection) {
    const error = rejection.toJSON();
    // One conditional put: the row is born FAILED, so the job ends in a definite state.
    const created = await ports.jobs.createIfAbsent({ ...job, status: 'FAILED', error });
    return created ? { outcome: 'rejected', jobId, error } : { outcome: 'duplicate', jobId };
  }

  if (!(await ports.jobs.createIfAbsent(job))) {
    const existing = await ports.jobs.get(jobId);
    // A row without an execution means an earlier attempt stopped between the put and
    // StartExecution; starting again is safe because the execution name is the jobId.
    if (!existing || existing.executionArn || existing.status !== 'QUEUED') return { outcome: 'duplicate', jobId };
  }

  const input: PipelineInput = pipelineInputSchema.parse({
    jobId,
    source,
    kind,
    ...uploadSettings(head?.metadata ?? {}),
  });
  const { executionArn, alreadyStarted } = await ports.executions.start(jobId, input);
  await ports.jobs.setExecution(jobId, executionArn);
  return { outcome: 'started', jobId, executionArn, alreadyStarted };
}

/** What an upload's metadata asks of its job: a reference, a language, duration limits. Bad values are ignored. */
export function uploadSettings(
  metadata: Record<string, string>,
): Pick<PipelineInput, 'reference' | 'language' | 'limits'> {
  let reference = metadata[REFERENCE_METADATA_KEY]?.trim();
  if (reference && metadata[REFERENCE_ENCODING_METADATA_KEY] === 'uri') {
    try {
      reference = decodeURIComponent(reference);
    } catch {
      reference = undefined;
    }
  }
  const language = metadata[LANGUAGE_METADATA_KEY]?.trim();
  const seconds = (key: string) => {
    const value = Number(metadata[key]);
    return metadata[key] && Number.isFinite(value) && value > 0 ? value : undefined;
  };
  const minDurationSec = seconds(MIN_DURATION_METADATA_KEY);
  const maxDurationSec = seconds(MAX_DURATION_METADATA_KEY);
  return {
    ...(reference ? { reference } : {}),
    ...(language && /^[a-z]{2,3}-[A-Z]{2}$/.test(language) ? { language } : {}),
    ...(minDurationSec || maxDurationSec
      ? {
          limits: {
            ...(minDurationSec ? { minDurationSec } : {}),
            ...(maxDurationSec ? { maxDurationSec } : {}),
          },
        }
      : {}),
  };
}

const SECONDS_PER_DAY = 86_400;

/** The last segment of a key: what the user called the file. */
const fileNameOf = (key: string) => key.slice(key.lastIndexOf('/') + 1) || key;

/** The same object version always gives the same id, which is also a valid execution name. */
export function deriveJobId(bucket: string, key: string, version: string): string {
  return createHash('sha256').update(`${bucket}\n${key}\n${version}`).digest('hex').slice(0, 32);
}

export function jobKindFor(key: string): PipelineInput['kind'] | undefined {
  const prefix = Object.keys(UPLOAD_PREFIXES).find((candidate) => key.startsWith(candidate));
  return prefix ? UPLOAD_PREFIXES[prefix] : undefined;
}

function rejectionFor(size: number, maxUploadBytes: number): UploadRejectedError | undefined {
  if (size <= 0) return new UploadRejectedError('The file is empty (0 bytes). Upload the video again.');
  if (size > maxUploadBytes) {
    return new UploadRejectedError(
      `The file is ${formatBytes(size)}, more than the ${formatBytes(maxUploadBytes)} limit. ` +
        `Trim or compress the video to under ${formatBytes(maxUploadBytes)} and upload it again.`,
    );
  }
  return undefined;
}

export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} bytes` : `${Number(value.toFixed(1))} ${units[unit]}`;
}
