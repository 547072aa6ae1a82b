import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';
import { AwsServiceError, closeServer, createJsonServer, listen, parseInput } from '../json-protocol';
import { JobQueue, JobRecordStore } from '../job-queue';
import { defaultMediaTools, type MediaTools } from '../media';
import { downloadObject, objectExists, s3ClientFor } from '../s3-access';
import { silentLogger, type EmulatorHandle, type EmulatorOptions } from '../types';
import { detectFacesInVideo, VideoRejectedError, type FaceDetection, type VideoMetadata } from './detect-video';
import { createFaceFinder, type FaceFinder, type FaceFinderOptions } from './face-finder';

export interface RekognitionEmulatorOptions extends EmulatorOptions {
  faceFinder?: FaceFinderOptions;
  /** Sampling interval in milliseconds. Default 200 (five frames a second). */
  sampleIntervalMs?: number;
  mediaTools?: MediaTools;
}

type JobStatus = 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED';

/** Amazon Rekognition Video's default quota of concurrent stored-video jobs per account. */
export const DEFAULT_REKOGNITION_JOB_QUOTA = 20;

interface FaceDetectionJobRecord {
  jobId: string;
  status: JobStatus;
  video: { Bucket: string; Name: string; Version?: string };
  faceAttributes: 'DEFAULT' | 'ALL';
  jobTag?: string;
  clientRequestToken?: string;
  /** Fingerprint of the request, to tell a retry from a clash on the same token. */
  requestFingerprint: string;
  createdAt: number;
  statusMessage?: string;
  videoMetadata?: VideoMetadata;
  faces?: FaceDetection[];
}

const INVALID_PARAMETER = 'InvalidParameterException';
/** GetFaceDetection's page size: the default and the most. */
const MAX_PAGE = 1000;

const startRequestSchema = z.object({
  Video: z.object({
    S3Object: z.object({
      Bucket: z.string().min(3).max(255),
      Name: z.string().min(1).max(1024),
      Version: z.string().min(1).max(1024).optional(),
    }),
  }),
  ClientRequestToken: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[a-zA-Z0-9-_]+$/, 'must match [a-zA-Z0-9-_]+')
    .optional(),
  FaceAttributes: z.enum(['DEFAULT', 'ALL']).optional(),
  JobTag: z
    .string()
    .min(1)
    .max(1024)
    .regex(/^[a-zA-Z0-9_.\-:+=/]+$/, 'must match [a-zA-Z0-9_.\\-:+=/]+')
    .optional(),
  NotificationChannel: z.object({ SNSTopicArn: z.string(), RoleArn: z.string() }).optional(),
});

const getRequestSchema = z.object({
  JobId: z.string().min(1).max(64),
  MaxResults: z.number().int().min(1).optional(),
  NextToken: z.string().max(255).optional(),
});

/**
 * Amazon Rekognition Video's face detection (StartFaceDetection, GetFaceDetection) over
 * face-api, in AWS's JSON-1.1 protocol, so the real @aws-sdk/client-rekognition works against
 * it. Jobs sample the video in the background; results page as GetFaceDetection's do.
 */
export async function startRekognitionEmulator(options: RekognitionEmulatorOptions): Promise<EmulatorHandle> {
  const logger = options.logger ?? silentLogger;
  const s3 = s3ClientFor(options.s3);
  const tools = options.mediaTools ?? defaultMediaTools();
  const serviceDir = path.join(options.dataDir, 'rekognition');
  const store = new JobRecordStore<FaceDetectionJobRecord>(path.join(serviceDir, 'jobs'));
  const jobs = new Map<string, FaceDetectionJobRecord>();
  const jobsByToken = new Map<string, FaceDetectionJobRecord>();
  /** face-api loads on the first job, not at start-up: most runs of the stack start quickly. */
  let finder: Promise<FaceFinder> | null = null;

  for (const record of await store.loadAll()) {
    if (record.status === 'IN_PROGRESS') {
      Object.assign(record, {
        status: 'FAILED',
        statusMessage: 'The local Rekognition emulator restarted while the job ran. Start the job again.',
      });
      await store.save(record.jobId, record);
    }
    jobs.set(record.jobId, record);
    if (record.clientRequestToken) jobsByToken.set(record.clientRequestToken, record);
  }

  const save = (record: FaceDetectionJobRecord) =>
    store
      .save(record.jobId, record)
      .catch((error: unknown) =>
        logger.error('could not save a job record', { jobId: record.jobId, error: String(error) }),
      );

  const queue = new JobQueue(options.concurrency ?? 1, logger);

  async function run(record: FaceDetectionJobRecord, signal: AbortSignal): Promise<void> {
    const workDir = path.join(serviceDir, 'work', record.jobId);
    const started = performance.now();
    try {
      signal.throwIfAborted();
      await mkdir(workDir, { recursive: true });
      const videoPath = path.join(workDir, 'video');
      const location = { bucket: record.video.Bucket, key: record.video.Name };
      if (!(await downloadObject(s3, location, videoPath, signal))) {
        throw new VideoRejectedError(
          'Unable to get object metadata from S3. Check object key, region and/or access permissions.',
        );
      }
      finder ??= createFaceFinder(options.faceFinder);
      finder.catch(() => (finder = null));
      const result = await detectFacesInVideo(videoPath, {
        tools,
        finder: await finder,
        attributes: record.faceAttributes,
        intervalMs: options.sampleIntervalMs ?? 200,
        signal,
      });
      Object.assign(record, { status: 'SUCCEEDED', videoMetadata: result.metadata, faces: result.faces });
      logger.info('face detection succeeded', {
        jobId: record.jobId,
        faces: result.faces.length,
        durationMs: result.metadata.DurationMillis,
        totalMs: Math.round(performance.now() - started),
      });
    } catch (error) {
      const statusMessage = signal.aborted
        ? String((signal.reason as Error | undefined)?.message ?? 'The job was stopped.')
        : error instanceof VideoRejectedError
          ? error.message
          : `Internal failure: ${(error as Error).message}`;
      Object.assign(record, { status: 'FAILED', statusMessage });
      logger.warn('face detection failed', { jobId: record.jobId, statusMessage });
    } finally {
      await save(record);
      await rm(workDir, { recursive: true, force: true });
    }
  }

  async function startFaceDetection(input: unknown) {
    const request = parseInput(startRequestSchema, input, INVALID_PARAMETER);
    const fingerprint = createHash('sha256')
      .update(JSON.stringify([request.Video.S3Object, request.FaceAttributes ?? 'DEFAULT', request.JobTag ?? null]))
      .digest('hex');
    const token = request.ClientRequestToken;
    const earlier = token ? jobsByToken.get(token) : undefined;
    if (earlier) {
      if (earlier.requestFingerprint !== fingerprint) {
        throw new AwsServiceError(
          'IdempotentParameterMismatchException',
          'A ClientRequestToken input parameter was reused with an operation, but at least one of the other input parameters is different from the previous call to the operation.',
        );
      }
      return { JobId: earlier.jobId };
    }
    const running = [...jobs.values()].filter((job) => job.status === 'IN_PROGRESS').length;
    if (running >= (options.jobQuota ?? DEFAULT_REKOGNITION_JOB_QUOTA)) {
      throw new AwsServiceError(
        'LimitExceededException',
        'An Amazon Rekognition service limit was exceeded: too many stored-video jobs are running at once.',
      );
    }
    const { Bucket, Name } = request.Video.S3Object;
    if (!(await objectExists(s3, { bucket: Bucket, key: Name }))) {
      throw new AwsServiceError(
        'InvalidS3ObjectException',
        'Unable to get object metadata from S3. Check object key, region and/or access permissions.',
      );
    }
    // Another request with the same token may have got in while S3 answered.
    const raced = token ? jobsByToken.get(token) : undefined;
    if (raced) return startFaceDetection(input);
    const record: FaceDetectionJobRecord = {
      jobId: randomBytes(32).toString('hex'),
      status: 'IN_PROGRESS',
      video: request.Video.S3Object,
      faceAttributes: request.FaceAttributes ?? 'DEFAULT',
      ...(request.JobTag ? { jobTag: request.JobTag } : {}),
      ...(token ? { clientRequestToken: token } : {}),
      requestFingerprint: fingerprint,
      createdAt: Date.now(),
    };
    jobs.set(record.jobId, record);
    if (token) jobsByToken.set(token, record);
    await save(record);
    queue.enqueue(record.jobId, (signal) => run(record, signal));
    logger.info('face detection job started', { jobId: record.jobId, video: `s3://${Bucket}/${Name}` });
    return { JobId: record.jobId };
  }

  function getFaceDetection(input: unknown) {
    const request = parseInput(getRequestSchema, input, INVALID_PARAMETER);
    const record = jobs.get(request.JobId);
    if (!record) {
      throw new AwsServiceError(
        'ResourceNotFoundException',
        `The job ${request.JobId} was not found. Check the JobId.`,
      );
    }
    const common = {
      JobStatus: record.status,
      JobId: record.jobId,
      Video: { S3Object: record.video },
      ...(record.jobTag ? { JobTag: record.jobTag } : {}),
    };
    if (record.status === 'IN_PROGRESS') return common;
    if (record.status === 'FAILED') return { ...common, StatusMessage: record.statusMessage ?? 'The job failed.' };
    const faces = record.faces ?? [];
    const offset = request.NextToken ? decodePageToken(request.NextToken, record.jobId, faces.length) : 0;
    const pageSize = Math.min(request.MaxResults ?? MAX_PAGE, MAX_PAGE);
    const next = offset + pageSize;
    return {
      ...common,
      VideoMetadata: record.videoMetadata,
      Faces: faces.slice(offset, next),
      ...(next < faces.length ? { NextToken: encodePageToken(record.jobId, next) } : {}),
    };
  }

  const server = createJsonServer({
    targetPrefix: 'RekognitionService',
    internalErrorType: 'InternalServerError',
    logger,
    operations: { StartFaceDetection: startFaceDetection, GetFaceDetection: getFaceDetection },
  });
  const url = await listen(server, options.port ?? 0, options.host ?? '127.0.0.1');
  logger.info('Rekognition emulator listening', { url });

  return {
    url,
    async close() {
      await closeServer(server);
      await queue.close();
      await store.flush();
    },
  };
}

/** Opaque to callers, as Rekognition's are; bound to its job so it cannot page another. */
function encodePageToken(jobId: string, offset: number): string {
  return Buffer.from(JSON.stringify({ j: jobId.slice(0, 16), o: offset })).toString('base64url');
}

function decodePageToken(token: string, jobId: string, total: number): number {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { j?: unknown; o?: unknown };
    if (parsed.j === jobId.slice(0, 16) && Number.isInteger(parsed.o) && (parsed.o as number) >= 0) {
      if ((parsed.o as number) <= total) return parsed.o as number;
    }
  } catch {
    // Falls through to the error below.
  }
  throw new AwsServiceError('InvalidPaginationTokenException', 'Invalid Token');
}
