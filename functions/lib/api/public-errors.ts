import type { ErrorInfo } from '../contracts/common';
import { TERMINAL_ERROR_NAMES } from '../errors';

/**
 * What the API may tell a user about a failure. Our own terminal errors are written for the
 * person who uploaded (what was wrong, what to do) and are shown; anything else (an AWS
 * AccessDenied, a bug) is logged in full but shown only by name. Either way, resource names
 * that reveal the deployment (ARNs, the account id, bucket names, addresses) are taken out.
 */

const USER_FACING: ReadonlySet<string> = new Set<string>([
  ...TERMINAL_ERROR_NAMES.filter((name) => name !== 'InvalidEventError' && name !== 'ConfigurationError'),
  'LipReadingUnavailableError',
  'ServiceThrottledError',
  'States.Timeout',
]);

export const INTERNAL_ERROR_MESSAGE =
  'An internal error stopped this step. It is logged for the operators; try again later, and quote the job id if it keeps failing.';

/** Takes ARNs, account ids, S3 bucket names and IP addresses out of a message. */
export function redactInternals(text: string): string {
  return text
    .replace(/\barn:aws[\w-]*:[^\s"'`,;)]*/g, '[resource]')
    .replace(/\bs3:\/\/[^/\s"'`]+/g, 's3://[bucket]')
    .replace(/\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b/g, '[address]')
    .replace(/(?<![\w-])\d{12}(?![\w-])/g, '[account]')
    .replace(/\b[a-z0-9][a-z0-9.-]*-\d{12}-[a-z]{2}(?:-[a-z]+)+-\d\b/g, '[bucket]');
}

export function publicErrorInfo(error: ErrorInfo): ErrorInfo {
  const message = USER_FACING.has(error.name) ? redactInternals(error.message) : INTERNAL_ERROR_MESSAGE;
  return { name: error.name, message };
}

/** The same for a state's error and cause in the execution history. */
export function publicFailure(failure: { error: string; cause?: string }): { error: string; cause?: string } {
  if (!failure.cause) return failure;
  return { error: failure.error, cause: publicErrorInfo({ name: failure.error, message: failure.cause }).message };
}
