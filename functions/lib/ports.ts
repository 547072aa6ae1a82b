import type { Readable } from 'node:stream';
import type { ErrorInfo, S3Ref } from './contracts/common';
import type { JobRecord, JobStatus, JobSummary, StageRecord } from './contracts/job';
import type { Stage } from './contracts/pipeline';

/**
 * The small interfaces domain code needs from the outside world. Adapters in
 * ./adapters implement them with the AWS SDK; tests implement them in memory or
 * mock the SDK underneath.
 */

export interface ObjectHead {
  size: number;
  etag: string;
  versionId?: string;
  contentType?: string;
  metadata: Record<string, string>;
}

/** An object, or one version of it when the bucket is versioned. */
export type VersionedRef = S3Ref & { versionId?: string };

export interface ObjectStore {
  /** Undefined when the object (or that version of it) does not exist. */
  head(ref: VersionedRef): Promise<ObjectHead | undefined>;
  /** Copies an object (that version, when given) to a local file; throws SourceObjectMissingError when absent. */
  download(ref: VersionedRef, filePath: string): Promise<void>;
  uploadFile(ref: S3Ref, filePath: string, contentType: string): Promise<void>;
  putText(ref: S3Ref, body: string, contentType: string): Promise<void>;
  getText(ref: S3Ref): Promise<string>;
  getStream(ref: VersionedRef): Promise<Readable>;
}

/** What pipeline tasks write to an existing job row (UpdateItem only). */
export interface JobRepository {
  /** Records the execution; RUNNING only while the job is still QUEUED, so a late redelivery changes nothing. */
  setExecution(jobId: string, executionArn: string): Promise<void>;
  updateStage(jobId: string, stage: Stage, record: StageRecord): Promise<void>;
  finish(jobId: string, status: Extract<JobStatus, 'COMPLETED' | 'DEGRADED'>, summary: JobSummary): Promise<void>;
  /** Marks the job FAILED unless it already ended; false when it had (COMPLETED, DEGRADED or FAILED). */
  fail(jobId: string, error: ErrorInfo): Promise<boolean>;
}

/** What start-pipeline needs on top: creating rows and reading them back. */
export interface JobRegistry extends JobRepository {
  /** Conditional put: false when the job already exists (a duplicate event). */
  createIfAbsent(job: JobRecord): Promise<boolean>;
  get(jobId: string): Promise<JobRecord | undefined>;
}

export interface ExecutionStarter {
  /** Starts the state machine; an execution that already exists is not an error. */
  start(name: string, input: unknown): Promise<{ executionArn: string; alreadyStarted: boolean }>;
}

export type AsyncJobStatus = { state: 'running' } | { state: 'succeeded' } | { state: 'failed'; reason: string };

export interface SpeechToText {
  start(request: {
    jobName: string;
    media: S3Ref;
    output: S3Ref;
    languageCode?: string;
    maxSpeakers: number;
  }): Promise<void>;
  status(jobName: string): Promise<AsyncJobStatus>;
}

export interface FaceDetectionPage {
  status: 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED';
  statusMessage?: string;
  durationSec?: number;
  frameRate?: number;
  faces: Array<{
    timestampMs: number;
    box: { left: number; top: number; width: number; height: number };
    confidence: number;
    landmarks: Array<{ type: string; x: number; y: number }>;
    /** Rekognition's Quality.Brightness of the face, 0-100. */
    brightness?: number;
  }>;
  nextToken?: string;
}

export interface FaceDetector {
  start(request: { video: S3Ref; clientRequestToken: string }): Promise<string>;
  getPage(jobId: string, nextToken?: string): Promise<FaceDetectionPage>;
}

/** What GET /health says about the server's model: its name, or why it has none. */
export type LipReadingModelStatus = { model: { name: string } } | { model: null; reason: string };

export interface LipReadingClient {
  health(): Promise<LipReadingModelStatus>;
  submit(request: {
    video: S3Ref;
    mode: 'vsr' | 'avsr';
    segments?: Array<{ start: number; end: number }>;
  }): Promise<{ id: string }>;
  status(
    id: string,
  ): Promise<
    { state: 'queued' | 'running' } | { state: 'succeeded'; result: S3Ref } | { state: 'failed'; reason: string }
  >;
}

/**
 * Where lip reading runs: ready at an endpoint, still waking up, or unavailable for a reason
 * that waiting will not fix (turned off, no model uploaded, the GPU instance cannot launch).
 */
export type LipReadingHostState =
  | { state: 'ready'; endpoint: string }
  | { state: 'warming'; detail: string }
  | { state: 'unavailable'; reason: string };

/** The lip-reading GPU server's Auto Scaling group as the host and the idle stopper see it. */
export interface GpuGroupState {
  name: string;
  /** 0 while idle, 1 while lip reading is wanted. */
  desiredCapacity: number;
  /** Instances launching or in service (terminating ones are left out). */
  instances: Array<{ id: string; lifecycleState: string }>;
  /** When invoke-lipreading last needed the server (the group's busy tag). */
  lastBusyAt?: Date;
}

export interface GpuGroup {
  readonly name: string;
  /** Undefined when the group does not exist. */
  read(): Promise<GpuGroupState | undefined>;
  /** Records that a job needs the server now, so the idle stopper leaves it running. */
  markBusy(at: Date): Promise<void>;
  scaleTo(capacity: 0 | 1): Promise<void>;
  /** Why the group's latest launch failed (vCPU quota, no capacity), or undefined if it did not. */
  launchFailure(): Promise<string | undefined>;
  /** When the group last launched an instance successfully (failed retries do not count). */
  lastLaunchAt(): Promise<Date | undefined>;
  describeInstance(id: string): Promise<{ state: string; privateIp?: string }>;
}

/** Wakes the GPU server on demand (an Auto Scaling group in AWS; a fixed server locally). */
export interface LipReadingHost {
  ensureRunning(): Promise<LipReadingHostState>;
}

/**
 * A shared number of slots (Rekognition's concurrent video jobs), each held under a lease
 * that lapses unless renewed, so a holder that vanishes (a timed-out execution) frees its slot.
 */
export interface ConcurrencyGate {
  /** Takes a slot for `holder`, or renews the one it holds; false while every slot is taken. */
  acquire(holder: string): Promise<boolean>;
  /** Extends the holder's lease, taking its slot back if it lapsed: its work is already running. */
  renew(holder: string): Promise<void>;
  release(holder: string): Promise<void>;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
