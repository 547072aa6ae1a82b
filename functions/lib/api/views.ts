import type { ErrorInfo } from '../contracts/common';
import type { JobRecord, JobStatus, JobSummary, StageStatus } from '../contracts/job';
import { STAGES, type Stage } from '../contracts/pipeline';
import { publicErrorInfo, redactInternals } from './public-errors';

/**
 * What the API answers with. The web page imports these types (types only), so the two
 * cannot drift apart.
 */

export interface StageView {
  stage: Stage;
  status: StageStatus;
  startedAt?: string;
  endedAt?: string;
  durationMs?: number;
  retries?: number;
  error?: ErrorInfo;
  facts?: Record<string, string | number | boolean>;
}

export interface JobView {
  jobId: string;
  status: JobStatus;
  kind: JobRecord['kind'];
  /** The uploaded file's name (last segment of its key). */
  fileName: string;
  sourceKey: string;
  sizeBytes: number;
  createdAt: string;
  updatedAt: string;
  executionArn?: string;
  error?: ErrorInfo;
  summary?: JobSummary;
  /** Always all five stages, in pipeline order; a stage not reached yet is pending. */
  stages: StageView[];
}

export interface JobListResponse {
  jobs: JobView[];
  nextCursor?: string;
}

export interface UploadResponse {
  uploadId: string;
  key: string;
  /** Form POST target; send `fields` first, then the file as the last field named `file`. */
  url: string;
  fields: Record<string, string>;
  expiresAt: string;
  maxBytes: number;
}

export interface StateSummary {
  name: string;
  /** The pipeline stage the state belongs to, when it belongs to one. */
  stage?: Stage;
  status: 'running' | 'succeeded' | 'failed';
  /** Times the state was entered (a polling check state loops). */
  entered: number;
  exited: number;
  /** Task attempts beyond the first of each entry (Retry). */
  retries: number;
  errors: Array<{ error: string; cause?: string; at: string }>;
  firstEnteredAt: string;
  lastExitedAt?: string;
  /** Time spent inside the state, summed over its entries. */
  durationMs: number;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface ExecutionSummary {
  executionArn: string;
  status: ExecutionStatus;
  startedAt?: string;
  stoppedAt?: string;
  /** In the order each state was first entered. */
  states: StateSummary[];
  /** The history was longer than the API reads; the newest events are missing. */
  truncated: boolean;
}

export const RESULT_FILES = {
  result: { file: 'result.json', label: 'Result (JSON)' },
  captions: { file: 'captions.vtt', label: 'Captions (WebVTT)' },
  captionsSrt: { file: 'captions.srt', label: 'Captions (SRT)' },
  audioCaptions: { file: 'audio.vtt', label: 'Audio-only captions (WebVTT)' },
  visualCaptions: { file: 'visual.vtt', label: 'Lip-reading captions (WebVTT)' },
  video: { file: 'video.mp4', label: 'Video (MP4)' },
  poster: { file: 'poster.jpg', label: 'Poster (JPEG)' },
  faces: { file: 'faces.json', label: 'Face tracks (JSON)' },
} as const;
export type ResultFile = keyof typeof RESULT_FILES;

export interface ResultLink {
  label: string;
  /** For the page to read (result.json, tracks, video). */
  url: string;
  /** The same object, saved as a file by the browser. */
  downloadUrl: string;
}

export interface ResultResponse {
  jobId: string;
  status: JobStatus;
  expiresAt: string;
  /** Only the files that exist: video and poster are missing for audio-only uploads. */
  files: Partial<Record<ResultFile, ResultLink>>;
}

export function fileNameOf(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}

function durationMs(startedAt?: string, endedAt?: string): number | undefined {
  if (!startedAt || !endedAt) return undefined;
  const ms = Date.parse(endedAt) - Date.parse(startedAt);
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

/** Degraded reasons are error text too: the deployment's names come out. */
function publicSummary(summary: JobSummary): JobSummary {
  if (!summary.degradedReasons) return summary;
  return { ...summary, degradedReasons: summary.degradedReasons.map(redactInternals) };
}

export function toJobView(job: JobRecord): JobView {
  return {
    jobId: job.jobId,
    status: job.status,
    kind: job.kind,
    fileName: fileNameOf(job.source.key),
    sourceKey: job.source.key,
    sizeBytes: job.source.size,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    ...(job.executionArn ? { executionArn: job.executionArn } : {}),
    ...(job.error ? { error: publicErrorInfo(job.error) } : {}),
    ...(job.summary ? { summary: publicSummary(job.summary) } : {}),
    stages: STAGES.map((stage): StageView => {
      const record = job.stages?.[stage];
      if (!record) return { stage, status: 'pending' };
      const retries = record.facts?.retries;
      const duration = durationMs(record.startedAt, record.endedAt);
      return {
        stage,
        status: record.status,
        ...(record.startedAt ? { startedAt: record.startedAt } : {}),
        ...(record.endedAt ? { endedAt: record.endedAt } : {}),
        ...(duration !== undefined ? { durationMs: duration } : {}),
        ...(typeof retries === 'number' ? { retries } : {}),
        ...(record.error ? { error: publicErrorInfo(record.error) } : {}),
        ...(record.facts ? { facts: record.facts } : {}),
      };
    }),
  };
}
