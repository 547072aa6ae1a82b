import { Logger } from '@aws-lambda-powertools/logger';

/**
 * One structured logger per bundle, named after its function (AWS_LAMBDA_FUNCTION_NAME, e.g.
 * gorggle-extract), so each function's lines carry their own service name. Handlers append
 * the jobId to every line of an invocation (middleware/task-handler.ts).
 */
export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME || process.env.AWS_LAMBDA_FUNCTION_NAME || 'gorggle',
});

/** The jobId an event is about, wherever its contract keeps it. */
export function jobIdOfEvent(event: unknown): string | undefined {
  if (!event || typeof event !== 'object') return undefined;
  const fields = event as { jobId?: unknown; job?: { jobId?: unknown }; detail?: { name?: unknown } };
  const candidate = fields.jobId ?? fields.job?.jobId ?? fields.detail?.name;
  return typeof candidate === 'string' && candidate ? candidate : undefined;
}
