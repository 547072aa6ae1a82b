import type { ErrorInfo } from '../contracts/common';
import { FUNCTION_TIMEOUT_ERROR_NAMES, KNOWN_ERROR_NAMES, LAMBDA_SERVICE_ERROR_NAMES } from '../errors';

/** Longest reason kept on a job row or in a result: a sentence or three, never a log. */
export const MAX_REASON_CHARS = 600;

/** The Lambda error JSON Step Functions hands over as a Cause. */
interface LambdaErrorPayload {
  errorType?: unknown;
  errorMessage?: unknown;
}

function parseLambdaError(text: string): { name?: string; message?: string } | undefined {
  if (!text.trimStart().startsWith('{')) return undefined;
  try {
    const payload = JSON.parse(text) as LambdaErrorPayload;
    return {
      ...(typeof payload.errorType === 'string' ? { name: payload.errorType } : {}),
      ...(typeof payload.errorMessage === 'string' ? { message: payload.errorMessage } : {}),
    };
  } catch {
    return undefined;
  }
}

/** The first line of a message, without stack frames, our file paths or a trailing request id. */
function firstSentences(message: string): string {
  const line =
    message
      .split(/\r?\n/)
      .map((part) => part.trim())
      .find((part) => part && !part.startsWith('at ')) ?? '';
  const cleaned = line.replace(/\/var\/task\/\S+|\/tmp\/\S+/g, '…').trim();
  return cleaned.length > MAX_REASON_CHARS ? `${cleaned.slice(0, MAX_REASON_CHARS - 1).trimEnd()}…` : cleaned;
}

const isGorggleError = (name: string) =>
  KNOWN_ERROR_NAMES.has(name) &&
  !name.startsWith('States.') &&
  !(FUNCTION_TIMEOUT_ERROR_NAMES as readonly string[]).includes(name) &&
  !(LAMBDA_SERVICE_ERROR_NAMES as readonly string[]).includes(name);

/**
 * What failed, in words a user can act on: Gorggle's own errors keep their message (they are
 * written for users); a Lambda error JSON is unwrapped; timeouts and AWS faults are named in
 * words; anything else (a bug) is named without its message, stack or paths, which belong in
 * the logs and the execution history, not on the job page.
 *
 * @param step what was running, in words, e.g. "extract" or "transcribe"
 */
export function readableError(error: { name: string; message?: string }, step = 'the pipeline'): ErrorInfo {
  const wrapped = error.message ? parseLambdaError(error.message) : undefined;
  const name = wrapped?.name ?? error.name;
  const message = firstSentences(wrapped?.message ?? error.message ?? '');
  const stepName = step === 'the pipeline' ? 'A step of the pipeline' : `The ${step} step`;

  if (isGorggleError(name) && message) return { name, message };
  if (name === 'States.Timeout') {
    // Step Functions says "State 'ExtractMedia' has timed out after 915 seconds."
    const timedOut = /State '([^']+)' has timed out after (\d+) seconds/.exec(message);
    const what = timedOut
      ? `The step ${timedOut[1]} took longer than its ${timedOut[2]} s limit`
      : `${stepName} took longer than its time limit`;
    return { name, message: `${what} and was stopped. Upload a shorter video, or try again later.` };
  }
  if ((FUNCTION_TIMEOUT_ERROR_NAMES as readonly string[]).includes(name)) {
    return {
      name,
      message: `${stepName} ran out of time (its function timeout) on every try. Upload a shorter video, or try again later.`,
    };
  }
  if ((LAMBDA_SERVICE_ERROR_NAMES as readonly string[]).includes(name) || name.startsWith('Lambda.')) {
    return {
      name,
      message: `AWS Lambda could not run ${step === 'the pipeline' ? 'a step' : `the ${step} step`} (${name}), even after several tries. Try again later.`,
    };
  }
  if (name.startsWith('States.')) {
    return {
      name,
      message: `${stepName} stopped on a Step Functions error (${name}). This is a fault in Gorggle, not in your video; try again later.`,
    };
  }
  return {
    name,
    message: `${stepName} stopped on an unexpected error (${name}). This is a fault in Gorggle, not in your video; the operators can read the details in the execution history. Try again later.`,
  };
}

/** A Step Functions {Error, Cause} as a readable error. */
export function readableFailure(failure: { Error: string; Cause?: string }, step?: string): ErrorInfo {
  return readableError({ name: failure.Error, ...(failure.Cause ? { message: failure.Cause } : {}) }, step);
}
