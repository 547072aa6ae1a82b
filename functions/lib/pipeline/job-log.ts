/**
 * Log lines that CloudWatch metric filters count (terraform/observability.tf): the DEGRADED
 * rate and the pipeline's own failures. Changing a message here means changing its filter; a
 * test holds the two together.
 */
export const JOB_FINISHED_LOG_MESSAGE = 'job finished';
export const JOB_FAILED_LOG_MESSAGE = 'job failed';
