import type { ErrorInfo } from '../contracts/common';
import type { ExecutionStatusChange, FailureInput, RecordFailureInput } from '../contracts/pipeline';
import { INPUT_ERROR_NAMES } from '../errors';
import type { JobRepository } from '../ports';
import { JOB_FAILED_LOG_MESSAGE } from './job-log';
import { readableFailure } from './readable-reason';

/** Who is at fault: the user's file (kept out of the failure alarm) or the pipeline. */
export type Blame = 'input' | 'pipeline';

export interface RecordFailurePorts {
  jobs: JobRepository;
  log: { info(message: string, attributes: Record<string, unknown>): void };
}

export type RecordFailureOutcome =
  | { jobId: string; outcome: 'failed' | 'already-ended'; error: ErrorInfo; blame: Blame }
  | { jobId: string; outcome: 'ignored'; reason: string };

/**
 * Step Functions hands a caught Lambda error over as {Error, Cause}, where Cause is the
 * Lambda error JSON ({errorType, errorMessage, trace}). Turn that into a name and a
 * sentence a user can act on, with no stack trace.
 */
export function describeFailure(failure: FailureInput['failure']): ErrorInfo {
  return readableFailure(failure);
}

/** Why a whole execution stopped, when no Catch could say it (it timed out or was aborted). */
export function describeStoppedExecution(detail: ExecutionStatusChange['detail']): ErrorInfo | undefined {
  if (detail.status === 'TIMED_OUT') {
    return {
      name: 'ExecutionTimedOut',
      message:
        'The pipeline ran longer than its time limit (the execution timed out) and was stopped. ' +
        'Upload a shorter video, or split it into parts.',
    };
  }
  if (detail.status === 'ABORTED') {
    const given = detail.cause?.trim();
    return {
      name: 'ExecutionAborted',
      message:
        'The pipeline was stopped before it finished (the execution was aborted, by an operator or a redeploy)' +
        `${given ? `: ${given.slice(0, 300)}` : ''}. Upload the video again to process it.`,
    };
  }
  return undefined;
}

const blameOf = (error: ErrorInfo): Blame =>
  (INPUT_ERROR_NAMES as readonly string[]).includes(error.name) ? 'input' : 'pipeline';

/**
 * Marks the job FAILED with a readable reason, unless it already ended (a late event changes
 * nothing). Takes the state machine's Catch, or EventBridge's status change of an execution
 * that timed out or was aborted, so every job ends in a definite state.
 */
export async function recordFailure(
  input: RecordFailureInput,
  ports: RecordFailurePorts,
): Promise<RecordFailureOutcome> {
  let jobId: string;
  let error: ErrorInfo | undefined;
  if ('detail' in input) {
    jobId = input.detail.name;
    error = describeStoppedExecution(input.detail);
    if (!error)
      return { jobId, outcome: 'ignored', reason: `execution ended ${input.detail.status}; the pipeline recorded it` };
  } else {
    jobId = input.jobId;
    error = describeFailure(input.failure);
  }
  const blame = blameOf(error);
  const failed = await ports.jobs.fail(jobId, error);
  if (failed) ports.log.info(JOB_FAILED_LOG_MESSAGE, { jobId, error: error.name, blame });
  return { jobId, outcome: failed ? 'failed' : 'already-ended', error, blame };
}
