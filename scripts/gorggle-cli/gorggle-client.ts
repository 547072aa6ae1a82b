/**
 * What the CLI, `make local`, the integration tests and the benchmarks do with a stack or a
 * deployment: upload a video the way a user does, find its job, follow its execution, and
 * read its results. Only the public interfaces: S3, the jobs table and Step Functions.
 */
import { createReadStream } from 'node:fs';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type DescribeExecutionOutput,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { Upload } from '@aws-sdk/lib-storage';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { DynamoDbJobRegistry } from '../../functions/lib/adapters/dynamodb-job-registry';
import { RECENT_JOBS_INDEX, RECENT_JOBS_PARTITION } from '../../functions/lib/adapters/dynamodb-job-repository';
import { MEDIA_EXTENSIONS } from '../../functions/lib/api/media-types';
import { resultDocumentSchema, type ResultDocument } from '../../functions/lib/contracts/documents';
import type { JobRecord, JobStatus } from '../../functions/lib/contracts/job';
import { deriveJobId, REFERENCE_METADATA_KEY } from '../../functions/lib/pipeline/start-pipeline';
import { stageProgress, type ExecutionProgressStatus, type StageProgress } from './stages';
import { createClients, type GorggleTarget, type TargetClients } from './target';

export const TERMINAL_JOB_STATUSES: readonly JobStatus[] = ['COMPLETED', 'DEGRADED', 'FAILED'];

/** The files fuse writes beside result.json (functions/lib/fuse/fuse-job.ts). */
export const RESULT_FILES = ['result.json', 'captions.vtt', 'captions.srt', 'audio.vtt', 'visual.vtt'] as const;

export interface UploadedVideo {
  bucket: string;
  key: string;
  etag: string;
  versionId?: string;
  size: number;
  /** The id start-pipeline derives for this object version. */
  jobId: string;
}

export interface JobSnapshot {
  jobId: string;
  job?: JobRecord;
  execution?: Pick<DescribeExecutionOutput, 'status' | 'startDate' | 'stopDate' | 'error' | 'cause'>;
  stages: StageProgress[];
  /** True once the row is COMPLETED/DEGRADED/FAILED and no execution still runs. */
  terminal: boolean;
}

export class JobNotFoundError extends Error {
  override readonly name = 'JobNotFoundError';
}

export class JobWaitTimeoutError extends Error {
  override readonly name = 'JobWaitTimeoutError';
  constructor(
    message: string,
    readonly last: JobSnapshot,
  ) {
    super(message);
  }
}

export interface WaitOptions {
  /** Give up after this long (the job keeps running). */
  timeoutMs?: number;
  /** How long start-pipeline may take to create the row before the upload counts as ignored. */
  appearTimeoutMs?: number;
  pollMs?: number;
  onUpdate?: (snapshot: JobSnapshot) => void;
  signal?: AbortSignal;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });

export class GorggleClient {
  readonly clients: TargetClients;
  private readonly jobs: DynamoDbJobRegistry;

  constructor(readonly target: GorggleTarget) {
    this.clients = createClients(target);
    this.jobs = new DynamoDbJobRegistry(this.clients.dynamodb, target.jobsTable);
  }

  close(): void {
    this.clients.destroy();
  }

  /** A key under uploads/ that no earlier upload used, so every `process` makes a new job. */
  static uploadKeyFor(file: string, now = new Date()): string {
    const stamp = now
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z');
    const suffix = Math.random().toString(36).slice(2, 6);
    return `uploads/${stamp}-${suffix}/${path.basename(file)}`;
  }

  /** Uploads like `aws s3 cp` does (multipart above 8 MiB); a reference transcript rides in the metadata. */
  async upload(
    file: string,
    options: { key?: string; reference?: string; onProgress?: (sentBytes: number, totalBytes: number) => void } = {},
  ): Promise<UploadedVideo> {
    const { size } = await stat(file);
    const key = options.key ?? GorggleClient.uploadKeyFor(file);
    const bucket = this.target.uploadsBucket;
    const upload = new Upload({
      client: this.clients.s3,
      partSize: 8 * 1024 * 1024,
      queueSize: 2,
      params: {
        Bucket: bucket,
        Key: key,
        Body: size === 0 ? Buffer.alloc(0) : createReadStream(file),
        ContentLength: size,
        ...(options.reference ? { Metadata: { [REFERENCE_METADATA_KEY]: options.reference } } : {}),
      },
    });
    upload.on('httpUploadProgress', (progress) => options.onProgress?.(progress.loaded ?? 0, size));
    const result = await upload.done();
    const etag = (result.ETag ?? '').replaceAll('"', '');
    const versionId = 'VersionId' in result ? result.VersionId : undefined;
    return {
      bucket,
      key,
      etag,
      ...(versionId ? { versionId } : {}),
      size,
      jobId: deriveJobId(bucket, key, versionId || etag),
    };
  }

  getJob(jobId: string): Promise<JobRecord | undefined> {
    return this.jobs.get(jobId);
  }

  /** Newest first, from the jobs table's `recent` index. */
  async listJobs(limit = 20): Promise<JobRecord[]> {
    const { Items = [] } = await this.clients.dynamodb.send(
      new QueryCommand({
        TableName: this.target.jobsTable,
        IndexName: RECENT_JOBS_INDEX,
        KeyConditionExpression: 'listPk = :all',
        ExpressionAttributeValues: { ':all': { S: RECENT_JOBS_PARTITION } },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return Items.map((item) => {
      const { listPk: _listPk, ...job } = unmarshall(item) as JobRecord & { listPk?: string };
      return job;
    });
  }

  async describeExecution(executionArn: string): Promise<DescribeExecutionOutput> {
    return this.clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
  }

  async executionHistory(executionArn: string): Promise<HistoryEvent[]> {
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.clients.sfn.send(
        new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken, includeExecutionData: true }),
      );
      events.push(...(page.events ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return events;
  }

  async snapshot(jobId: string): Promise<JobSnapshot> {
    const job = await this.getJob(jobId);
    if (!job?.executionArn) {
      return { jobId, job, stages: stageProgress([]), terminal: Boolean(job && isTerminal(job.status)) };
    }
    const [execution, history] = await Promise.all([
      this.describeExecution(job.executionArn),
      this.executionHistory(job.executionArn),
    ]);
    const executionEnded = execution.status !== 'RUNNING';
    return {
      jobId,
      // The row may lag its execution by one write; read it again once the execution ends.
      job: executionEnded ? ((await this.getJob(jobId)) ?? job) : job,
      execution: {
        status: execution.status,
        startDate: execution.startDate,
        stopDate: execution.stopDate,
        error: execution.error,
        cause: execution.cause,
      },
      stages: stageProgress(history),
      terminal: executionEnded,
    };
  }

  /**
   * Follows a job until it is terminal: its row COMPLETED, DEGRADED or FAILED and its
   * execution (if any) ended. An execution that ends without finishing the row (stopped
   * stack) also ends the wait; the snapshot says so.
   */
  async waitForJob(jobId: string, options: WaitOptions = {}): Promise<JobSnapshot> {
    const started = Date.now();
    const timeoutMs = options.timeoutMs ?? 15 * 60_000;
    const appearTimeoutMs = options.appearTimeoutMs ?? 60_000;
    const pollMs = options.pollMs ?? 500;
    let last: JobSnapshot = { jobId, stages: stageProgress([]), terminal: false };
    for (;;) {
      last = await this.snapshot(jobId);
      options.onUpdate?.(last);
      if (last.terminal) return last;
      const waited = Date.now() - started;
      if (!last.job && waited > appearTimeoutMs) {
        throw new JobWaitTimeoutError(
          `No job ${jobId} appeared within ${Math.round(appearTimeoutMs / 1000)} s of the upload. ` +
            `Check that the file ends in an allowed extension (.${MEDIA_EXTENSIONS.join(', .')}) ` +
            `and that start-pipeline runs (${this.logHint('start-pipeline')}).`,
          last,
        );
      }
      if (waited > timeoutMs) {
        throw new JobWaitTimeoutError(
          `Job ${jobId} is still ${last.job?.status ?? 'unknown'} after ${Math.round(timeoutMs / 1000)} s; ` +
            `follow it with \`gorggle show ${jobId}\`.`,
          last,
        );
      }
      if (options.signal?.aborted) throw new JobWaitTimeoutError(`Stopped waiting for job ${jobId}.`, last);
      await sleep(pollMs, options.signal);
    }
  }

  async readProcessed(key: string): Promise<Buffer> {
    const { Body } = await this.clients.s3.send(
      new GetObjectCommand({ Bucket: this.target.processedBucket, Key: key }),
    );
    if (!Body) throw new Error(`s3://${this.target.processedBucket}/${key} has no body`);
    return Buffer.from(await Body.transformToByteArray());
  }

  resultKey(job: Pick<JobRecord, 'jobId' | 'summary'>): string {
    return job.summary?.resultKey ?? `jobs/${job.jobId}/result.json`;
  }

  async getResult(job: Pick<JobRecord, 'jobId' | 'summary'>): Promise<ResultDocument> {
    const text = (await this.readProcessed(this.resultKey(job))).toString('utf8');
    return resultDocumentSchema.parse(JSON.parse(text));
  }

  /** Copies the result and caption files into `dir`; returns the paths written. */
  async downloadResults(jobId: string, dir: string): Promise<string[]> {
    await mkdir(dir, { recursive: true });
    const written: string[] = [];
    for (const file of RESULT_FILES) {
      try {
        const body = await this.readProcessed(`jobs/${jobId}/${file}`);
        const out = path.join(dir, file);
        await writeFile(out, body);
        written.push(out);
      } catch (error) {
        if ((error as Error).name !== 'NoSuchKey') throw error;
      }
    }
    return written;
  }

  private logHint(component: string): string {
    return this.target.dataDir
      ? `its log is ${path.join(this.target.dataDir, 'logs', `${component}.log`)}`
      : `see its CloudWatch log group /aws/lambda/*-${component}`;
  }
}

export function isTerminal(status: JobStatus | undefined): boolean {
  return status !== undefined && TERMINAL_JOB_STATUSES.includes(status);
}

export const executionStatusOf = (snapshot: JobSnapshot): ExecutionProgressStatus | undefined =>
  snapshot.execution?.status as ExecutionProgressStatus | undefined;
