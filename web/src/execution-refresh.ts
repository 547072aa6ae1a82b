import type { JobView } from './api';

/**
 * How often the job page may re-read the execution summary. GetExecutionHistory has a small
 * account-wide rate (a few calls a second for everyone), and every open job page would
 * otherwise read it every 3 s.
 */
export const EXECUTION_REFRESH_MIN_MS = 15_000;
/** After a 429 the page waits this long before it reads the execution again. */
export const EXECUTION_THROTTLED_BACKOFF_MS = 60_000;

const FINISHED = ['COMPLETED', 'DEGRADED', 'FAILED'];

/**
 * Decides when the job page reads the execution summary: only after the job row changed
 * (every stage and check updates it), at most every EXECUTION_REFRESH_MIN_MS, once more when
 * the job finishes, and not at all for a while after the API said "too many requests".
 */
export class ExecutionRefresh {
  private readUpdatedAt: string | undefined;
  private readAt = Number.NEGATIVE_INFINITY;
  private pausedUntil = 0;

  constructor(private readonly now: () => number = () => Date.now()) {}

  due(job: Pick<JobView, 'status' | 'updatedAt' | 'executionArn'>): boolean {
    if (!job.executionArn || job.updatedAt === this.readUpdatedAt) return false;
    const now = this.now();
    if (now < this.pausedUntil) return false;
    return FINISHED.includes(job.status) || now - this.readAt >= EXECUTION_REFRESH_MIN_MS;
  }

  read(job: Pick<JobView, 'updatedAt'>): void {
    this.readUpdatedAt = job.updatedAt;
    this.readAt = this.now();
  }

  throttled(): void {
    this.pausedUntil = this.now() + EXECUTION_THROTTLED_BACKOFF_MS;
  }
}
