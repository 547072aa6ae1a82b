import type { ErrorInfo } from '../contracts/common';
import type { FailureInput } from '../contracts/pipeline';
import type { JobRepository } from '../ports';

/**
 * Step Functions hands a caught Lambda error over as {Error, Cause}, where Cause is the
 * Lambda error JSON ({errorType, errorMessage, trace}). Turn that into a name and a
 * sentence a user can act on.
 */
export function describeFailure(failure: FailureInput['failure']): ErrorInfo {
  const fallback = `The pipeline stopped with ${failure.Error}.`;
  if (!failure.Cause) return { name: failure.Error, message: fallback };
  try {
    const cause = JSON.parse(failure.Cause) as { errorMessage?: unknown };
    if (typeof cause.errorMessage === 'string' && cause.errorMessage) {
      return { name: failure.Error, message: cause.errorMessage };
    }
  } catch {
    // States.Timeout and friends carry plain text.
  }
  return { name: failure.Error, message: failure.Cause || fallback };
}

export async function recordFailure(
  input: FailureInput,
  ports: { jobs: JobRepository },
): Promise<{ jobId: string; status: 'FAILED'; error: ErrorInfo }> {
  const error = describeFailure(input.failure);
  await ports.jobs.fail(input.jobId, error);
  return { jobId: input.jobId, status: 'FAILED', error };
}
