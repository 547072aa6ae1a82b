import type { S3Client } from '@aws-sdk/client-s3';

/** Powertools' Logger fits this shape, as does a thin wrapper over a log file. */
export interface EmulatorLogger {
  info(message: string, details?: Record<string, unknown>): void;
  warn(message: string, details?: Record<string, unknown>): void;
  error(message: string, details?: Record<string, unknown>): void;
}

/** Where the emulator reads media and writes results: a local S3 endpoint, or a ready client. */
export type S3Access =
  | {
      endpoint: string;
      region?: string;
      /** Default: s3rver's own key pair (S3RVER/S3RVER), which it checks signatures against. */
      credentials?: { accessKeyId: string; secretAccessKey: string };
    }
  | (() => S3Client);

export interface EmulatorOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** Job records and scratch files live here; jobs survive a restart. */
  dataDir: string;
  s3: S3Access;
  logger?: EmulatorLogger;
  /** Jobs run at once; the rest wait as QUEUED. Default 1 (the machine has few cores). */
  concurrency?: number;
  /**
   * The account's quota of unfinished jobs, as AWS enforces it: a start beyond it fails with
   * LimitExceededException (Transcribe queues it instead when AllowDeferredExecution is set).
   * Defaults: Transcribe 250, Rekognition 20 concurrent stored-video jobs.
   */
  jobQuota?: number;
}

export interface EmulatorHandle {
  /** http://host:port, for the SDK's `endpoint` or AWS_ENDPOINT_URL_<SERVICE>. */
  url: string;
  /** Stops taking requests and aborts running jobs (they end FAILED): Ctrl-C must not wait on a long video. */
  close(): Promise<void>;
}

export const silentLogger: EmulatorLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
