import type { S3Ref } from '../contracts/common';
import type { JobRecord } from '../contracts/job';

/** What the API reads and signs; adapters in ../adapters implement these with the SDK. */

export interface JobPage {
  jobs: JobRecord[];
  /** Opaque; absent on the last page. */
  nextCursor?: string;
}

export interface JobReader {
  get(jobId: string): Promise<JobRecord | undefined>;
  /** Every job, newest first. Throws InvalidCursorError for a cursor it did not issue. */
  listRecent(limit: number, cursor?: string): Promise<JobPage>;
  /** One owner's jobs, newest first; a cursor issued for another owner is invalid. */
  listOwned(owner: string, limit: number, cursor?: string): Promise<JobPage>;
}

export interface PresignedPost {
  url: string;
  fields: Record<string, string>;
}

/** A condition of an S3 POST policy, as AWS documents them. */
export type PostPolicyCondition =
  Record<string, string> | ['eq' | 'starts-with', string, string] | ['content-length-range', number, number];

export interface UploadSigner {
  presignPost(request: {
    target: S3Ref;
    fields: Record<string, string>;
    conditions: PostPolicyCondition[];
    expiresInSeconds: number;
  }): Promise<PresignedPost>;
}

export interface DownloadSigner {
  /** The keys that exist under a prefix (one ListObjectsV2 page, which S3 answers for missing files too). */
  listKeys(prefix: S3Ref): Promise<string[]>;
  /** A GET URL; with `downloadAs` the browser saves the file under that name. */
  presignGet(ref: S3Ref, options: { expiresInSeconds: number; downloadAs?: string }): Promise<string>;
}

/** One event of a Step Functions execution history, as the SDK returns it. */
export interface HistoryEvent {
  id: number;
  previousEventId?: number;
  timestamp: Date;
  type: string;
  stateEnteredEventDetails?: { name?: string };
  stateExitedEventDetails?: { name?: string };
  [details: `${string}EventDetails`]: { error?: string; cause?: string; name?: string } | undefined;
}

export interface ExecutionHistoryReader {
  /** Oldest first, at most `maxEvents`; `truncated` when there were more. */
  history(executionArn: string, maxEvents: number): Promise<{ events: HistoryEvent[]; truncated: boolean }>;
}

/** A pagination cursor that is malformed or was not issued by this API. */
export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';
}
