import { randomUUID } from 'node:crypto';
import type { Logger } from './logger';
import { silentLogger } from './logger';

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed';
export type Mode = 'vsr' | 'avsr';

export interface S3Location {
  bucket: string;
  key: string;
}

export interface JobRequest {
  video: S3Location;
  segments?: Array<{ start: number; end: number }>;
  mode: Mode;
}

/** What a finished job measured, in milliseconds of wall time. */
export interface JobStats {
  frames: number;
  downloadMs: number;
  preprocessMs: number;
  /** Sum of model calls; inferenceMsPerChunk holds each one. They overlap preprocessing. */
  inferenceMs: number;
  /** Time the job waited for the model with nothing else to do (not overlapped). */
  modelWaitMs?: number;
  inferenceMsPerChunk: number[];
  uploadMs: number;
}

export interface JobOutcome {
  result: S3Location;
  stats: JobStats;
  /** Set when the job succeeded with nothing to read (e.g. 'no_face'). */
  emptyReason?: string;
}

/** A job that ended for a reason a caller can act on; `reason` is a stable code. */
export class JobFailure extends Error {
  override readonly name = 'JobFailure';
  constructor(
    readonly reason: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface JobContext {
  id: string;
  request: JobRequest;
  /** Aborted on timeout or shutdown: stop at the next step and clean up. */
  signal: AbortSignal;
  log: Logger;
  /**
   * Sets the job's time limit, counted from its start, once the runner knows how long the
   * video is (the budget scales with it). Until then the queue's base timeout applies.
   */
  setTimeLimit?: (ms: number) => void;
}

export type JobRunner = (context: JobContext) => Promise<JobOutcome>;

export interface JobTimings {
  queuedAt: string;
  startedAt?: string;
  endedAt?: string;
  queueMs?: number;
  runMs?: number;
  downloadMs?: number;
  preprocessMs?: number;
  inferenceMs?: number;
  /** Time waiting for the model after preprocessing (inference overlaps preprocessing). */
  modelWaitMs?: number;
  uploadMs?: number;
}

export interface JobView {
  id: string;
  status: JobStatus;
  mode: Mode;
  video: S3Location;
  result?: S3Location;
  reason?: string;
  error?: { reason: string; message: string };
  timings: JobTimings;
}

interface Job {
  id: string;
  request: JobRequest;
  status: JobStatus;
  queuedAt: number;
  startedAt?: number;
  endedAt?: number;
  outcome?: JobOutcome;
  error?: { reason: string; message: string };
  abort: AbortController;
}

export type SubmitResult =
  | { accepted: true; job: JobView }
  | { accepted: false; reason: 'queue_full' | 'shutting_down'; retryAfterSeconds: number };

export interface JobQueueOptions {
  runner: JobRunner;
  /** Jobs that may wait; running jobs do not count. */
  capacity: number;
  concurrency: number;
  timeoutMs: number;
  /** Finished jobs kept for GET; the oldest are forgotten first. */
  retainFinished?: number;
  log?: Logger;
  now?: () => number;
  /** Called when a job reaches succeeded or failed. */
  onFinished?: (job: JobView, outcome: JobOutcome | undefined) => void;
  /** Called whenever the queue goes from busy to idle or back. */
  onActivity?: (busy: boolean) => void;
}

/**
 * A bounded in-memory queue with `concurrency` workers. A timed-out job is failed at
 * once, but its worker slot is held until the runner returns, so a stuck model call
 * never runs alongside the next job on the same GPU.
 */
export class JobQueue {
  private readonly jobs = new Map<string, Job>();
  private readonly waiting: Job[] = [];
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly finishedOrder: string[] = [];
  private readonly recentRunMs: number[] = [];
  private accepting = true;
  private readonly log: Logger;
  private readonly now: () => number;

  constructor(private readonly options: JobQueueOptions) {
    this.log = options.log ?? silentLogger;
    this.now = options.now ?? Date.now;
  }

  get depth(): number {
    return this.waiting.length;
  }

  get running(): number {
    return this.inFlight.size;
  }

  get capacity(): number {
    return this.options.capacity;
  }

  get isAccepting(): boolean {
    return this.accepting;
  }

  get isIdle(): boolean {
    return this.waiting.length === 0 && this.inFlight.size === 0;
  }

  submit(request: JobRequest): SubmitResult {
    if (!this.accepting) return { accepted: false, reason: 'shutting_down', retryAfterSeconds: 60 };
    if (this.waiting.length >= this.options.capacity) {
      return { accepted: false, reason: 'queue_full', retryAfterSeconds: this.retryAfterSeconds() };
    }
    const wasIdle = this.isIdle;
    const job: Job = {
      id: randomUUID(),
      request,
      status: 'queued',
      queuedAt: this.now(),
      abort: new AbortController(),
    };
    this.jobs.set(job.id, job);
    this.waiting.push(job);
    this.log.info('job queued', { jobId: job.id, video: request.video, mode: request.mode, depth: this.depth });
    if (wasIdle) this.options.onActivity?.(true);
    this.pump();
    return { accepted: true, job: this.view(job) };
  }

  get(id: string): JobView | undefined {
    const job = this.jobs.get(id);
    return job && this.view(job);
  }

  /**
   * Stops taking jobs, fails the queued ones with 'shutdown', and gives the running
   * ones `graceMs` to finish before failing them too.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.accepting = false;
    for (const job of this.waiting.splice(0)) {
      this.fail(
        job,
        new JobFailure('shutdown', 'The lip-reading server shut down before this job started. Submit it again.'),
      );
    }
    if (this.inFlight.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'grace_over'>((resolve) => {
      timer = setTimeout(() => resolve('grace_over'), graceMs);
    });
    const settled = await Promise.race([Promise.all(this.inFlight.values()).then(() => 'done' as const), graceOver]);
    clearTimeout(timer);
    if (settled === 'done') return;
    for (const job of this.jobs.values()) {
      if (job.status !== 'running') continue;
      this.fail(
        job,
        new JobFailure('shutdown', 'The lip-reading server shut down while this job was running. Submit it again.'),
      );
    }
  }

  private pump(): void {
    while (this.accepting && this.inFlight.size < this.options.concurrency) {
      const job = this.waiting.shift();
      if (!job) return;
      const done = this.run(job).finally(() => {
        this.inFlight.delete(job.id);
        this.pump();
        if (this.isIdle) this.options.onActivity?.(false);
      });
      this.inFlight.set(job.id, done);
    }
  }

  private async run(job: Job): Promise<void> {
    job.status = 'running';
    job.startedAt = this.now();
    const log = this.log.child({ jobId: job.id });
    log.info('job started', { queueMs: job.startedAt - job.queuedAt });
    let timeout: NodeJS.Timeout | undefined;
    const setTimeLimit = (limitMs: number) => {
      clearTimeout(timeout);
      const startedAt = job.startedAt ?? this.now();
      timeout = setTimeout(
        () => {
          this.fail(
            job,
            new JobFailure(
              'timeout',
              `The job ran longer than its ${Math.round(limitMs / 1000)} s budget and was stopped. Send a shorter video or raise GORGGLE_JOB_TIMEOUT_SECONDS / GORGGLE_JOB_TIMEOUT_SECONDS_PER_VIDEO_SECOND.`,
            ),
          );
        },
        Math.max(0, startedAt + limitMs - this.now()),
      );
    };
    setTimeLimit(this.options.timeoutMs);
    try {
      const outcome = await this.options.runner({
        id: job.id,
        request: job.request,
        signal: job.abort.signal,
        log,
        setTimeLimit,
      });
      if (job.status !== 'running') return;
      job.status = 'succeeded';
      job.outcome = outcome;
      this.finish(job);
    } catch (error) {
      if (job.status !== 'running') return;
      if (error instanceof JobFailure) {
        this.fail(job, error);
      } else {
        log.error('job crashed', { error });
        const message = error instanceof Error ? error.message : String(error);
        this.fail(job, new JobFailure('internal', `The lip-reading server failed unexpectedly: ${message}`));
      }
    } finally {
      clearTimeout(timeout);
    }
  }

  private fail(job: Job, failure: JobFailure): void {
    if (job.status === 'succeeded' || job.status === 'failed') return;
    job.status = 'failed';
    job.error = { reason: failure.reason, message: failure.message };
    job.abort.abort(failure);
    this.finish(job);
  }

  private finish(job: Job): void {
    job.endedAt = this.now();
    if (job.startedAt !== undefined) {
      this.recentRunMs.push(job.endedAt - job.startedAt);
      if (this.recentRunMs.length > 20) this.recentRunMs.shift();
    }
    const view = this.view(job);
    this.log.info('job finished', {
      jobId: job.id,
      status: job.status,
      reason: view.error?.reason ?? view.reason,
      timings: view.timings,
    });
    this.options.onFinished?.(view, job.outcome);
    this.finishedOrder.push(job.id);
    const retain = this.options.retainFinished ?? 1000;
    for (const forgotten of this.finishedOrder.splice(0, Math.max(0, this.finishedOrder.length - retain))) {
      this.jobs.delete(forgotten);
    }
  }

  /** Roughly how long until a queue slot frees: the mean recent run time, at least 1 s. */
  private retryAfterSeconds(): number {
    const runs = this.recentRunMs;
    const meanMs = runs.length ? runs.reduce((sum, ms) => sum + ms, 0) / runs.length : 10_000;
    return Math.min(300, Math.max(1, Math.ceil(meanMs / 1000)));
  }

  private view(job: Job): JobView {
    const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
    const queuedAt = new Date(job.queuedAt).toISOString();
    const stats = job.outcome?.stats;
    const timings: JobTimings = {
      queuedAt,
      startedAt: iso(job.startedAt),
      endedAt: iso(job.endedAt),
      queueMs: job.startedAt === undefined ? undefined : job.startedAt - job.queuedAt,
      runMs: job.startedAt === undefined || job.endedAt === undefined ? undefined : job.endedAt - job.startedAt,
      downloadMs: stats?.downloadMs,
      preprocessMs: stats?.preprocessMs,
      inferenceMs: stats?.inferenceMs,
      modelWaitMs: stats?.modelWaitMs,
      uploadMs: stats?.uploadMs,
    };
    return {
      id: job.id,
      status: job.status,
      mode: job.request.mode,
      video: job.request.video,
      result: job.outcome?.result,
      reason: job.outcome?.emptyReason,
      error: job.error,
      timings: JSON.parse(JSON.stringify(timings)) as JobTimings,
    };
  }
}
