import type { ErrorInfo } from './common';
import type { Stage } from './pipeline';

export const JOB_STATUSES = ['QUEUED', 'RUNNING', 'COMPLETED', 'DEGRADED', 'FAILED'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export type StageStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';

export interface StageRecord {
  status: StageStatus;
  startedAt?: string;
  endedAt?: string;
  error?: ErrorInfo;
  /** Free-form facts: retries, warm-up seconds, reason a stage was skipped. */
  facts?: Record<string, string | number | boolean>;
}

export interface JobSummary {
  durationSec?: number;
  words?: number;
  speakers?: number;
  transcript?: string;
  /** Why each missing modality is missing. */
  degradedReasons?: string[];
  resultKey?: string;
}

/** The DynamoDB jobs row. */
export interface JobRecord {
  jobId: string;
  status: JobStatus;
  source: { bucket: string; key: string; versionId?: string; etag: string; size: number };
  kind: 'upload' | 'contribution';
  /**
   * Who the job belongs to: the uploader's Cognito `sub`, or BOT_OWNER for the bot's
   * contributions (functions/lib/access/ownership.ts). Absent: only admins see it.
   */
  owner?: string;
  executionArn?: string;
  stages: Partial<Record<Stage, StageRecord>>;
  summary?: JobSummary;
  error?: ErrorInfo;
  createdAt: string;
  updatedAt: string;
  /** DynamoDB TTL (epoch seconds): the row goes when the job's files in S3 expire. */
  expiresAt?: number;
}
