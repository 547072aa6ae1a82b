/**
 * Every error a Lambda can end with, by stable name.
 *
 * Step Functions matches `errorType`, which the Node runtime takes from `error.name`.
 * Names are set as literals because minification renames classes. The state machine's
 * Retry and Catch lists are built from the name sets at the bottom of this file, and a
 * test checks that every name used in the ASL is defined here.
 */

export abstract class GorggleError extends Error {
  /** Terminal errors are never retried: the input itself is wrong. */
  abstract readonly retryable: boolean;

  toJSON(): { name: string; message: string } {
    return { name: this.name, message: this.message };
  }
}

abstract class TerminalError extends GorggleError {
  readonly retryable = false;
}

abstract class TransientError extends GorggleError {
  readonly retryable = true;
}

/** The event or payload does not match its contract (a bug or a hand-made event). */
export class InvalidEventError extends TerminalError {
  override readonly name = 'InvalidEventError';
}

/** The function's environment is incomplete or malformed. */
export class ConfigurationError extends TerminalError {
  override readonly name = 'ConfigurationError';
}

/** The upload is empty, too large or of a type we do not take. */
export class UploadRejectedError extends TerminalError {
  override readonly name = 'UploadRejectedError';
}

/** The file is not media we can use (no stream, corrupt, truncated). */
export class UnsupportedMediaError extends TerminalError {
  override readonly name = 'UnsupportedMediaError';
}

/** The media lasts longer than its upload allows (the bot's contributions carry their own limits). */
export class MediaTooLongError extends TerminalError {
  override readonly name = 'MediaTooLongError';
}

/** The media is shorter than its upload requires. */
export class MediaTooShortError extends TerminalError {
  override readonly name = 'MediaTooShortError';
}

/** A referenced object is gone (deleted between upload and processing). */
export class SourceObjectMissingError extends TerminalError {
  override readonly name = 'SourceObjectMissingError';
}

/** Amazon Transcribe reported FAILED; the message carries its FailureReason. */
export class TranscriptionFailedError extends TerminalError {
  override readonly name = 'TranscriptionFailedError';
}

/** Amazon Rekognition reported FAILED; the message carries its StatusMessage. */
export class FaceDetectionFailedError extends TerminalError {
  override readonly name = 'FaceDetectionFailedError';
}

/** The lip-reading server rejected or failed the job. */
export class LipReadingFailedError extends TerminalError {
  override readonly name = 'LipReadingFailedError';
}

/** A polling loop ran out of attempts. */
export class PollingTimeoutError extends TerminalError {
  override readonly name = 'PollingTimeoutError';
}

/** Active speaker detection could not finish (out of time, unreadable video); the faces stand without it. */
export class ActiveSpeakerDetectionError extends TerminalError {
  override readonly name = 'ActiveSpeakerDetectionError';
}

/** Fuse found no usable modality: nothing to caption. */
export class NothingUsableError extends TerminalError {
  override readonly name = 'NothingUsableError';
}

/** An AWS quota or rate limit (LimitExceededException, ThrottlingException): wait long, then retry. */
export class ServiceThrottledError extends TransientError {
  override readonly name = 'ServiceThrottledError';
}

/** The lip-reading server is busy (429/503), unreachable, or its instance is starting. */
export class LipReadingUnavailableError extends TransientError {
  override readonly name = 'LipReadingUnavailableError';
}

/** Any other passing fault: a network blip, a 5xx from a dependency. */
export class DependencyUnavailableError extends TransientError {
  override readonly name = 'DependencyUnavailableError';
}

/** AWS SDK error names that mean "slow down" rather than "you are wrong". */
export const AWS_THROTTLING_ERROR_NAMES: readonly string[] = [
  'ThrottlingException',
  'LimitExceededException',
  'ProvisionedThroughputExceededException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'SlowDown',
];

/** Errors the Lambda service itself raises around an invocation, retried six times. */
export const LAMBDA_SERVICE_ERROR_NAMES = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
] as const;

/**
 * A function that ran out of time: Lambda reports it as Sandbox.Timedout, and may still
 * report it as Lambda.Unknown. Every task is idempotent, and a start or check that timed out
 * while the host was starved for CPU usually passes next time, so the ASL retries these
 * twice, on their own retrier: an extract that truly needs longer than its timeout must not
 * burn it seven times over.
 */
export const FUNCTION_TIMEOUT_ERROR_NAMES = ['Sandbox.Timedout', 'Lambda.Unknown'] as const;

/** Retried with long, jittered backoff: quotas clear in minutes, not seconds. */
export const THROTTLED_ERROR_NAMES = ['ServiceThrottledError'] as const;

/** Retried with short, jittered backoff. */
export const TRANSIENT_ERROR_NAMES = [
  'LipReadingUnavailableError',
  'DependencyUnavailableError',
  ...LAMBDA_SERVICE_ERROR_NAMES,
] as const;

/** Never retried. */
export const TERMINAL_ERROR_NAMES = [
  'InvalidEventError',
  'ConfigurationError',
  'UploadRejectedError',
  'UnsupportedMediaError',
  'MediaTooLongError',
  'MediaTooShortError',
  'SourceObjectMissingError',
  'TranscriptionFailedError',
  'FaceDetectionFailedError',
  'LipReadingFailedError',
  'PollingTimeoutError',
  'ActiveSpeakerDetectionError',
  'NothingUsableError',
] as const;

/**
 * Terminal errors that say the user's file (or its deletion) is the cause, not the pipeline:
 * they fail the job with a reason, but stay out of the operators' failure alarm.
 */
export const INPUT_ERROR_NAMES = [
  'UploadRejectedError',
  'UnsupportedMediaError',
  'MediaTooLongError',
  'MediaTooShortError',
  'SourceObjectMissingError',
  'NothingUsableError',
] as const;

/** Every name the state machine may match, plus the States.* built-ins. */
export const KNOWN_ERROR_NAMES: ReadonlySet<string> = new Set([
  ...THROTTLED_ERROR_NAMES,
  ...TRANSIENT_ERROR_NAMES,
  ...FUNCTION_TIMEOUT_ERROR_NAMES,
  ...TERMINAL_ERROR_NAMES,
  'States.ALL',
  'States.TaskFailed',
  'States.Timeout',
  'States.HeartbeatTimeout',
]);

/** Node and SDK error codes of a connection that broke or never answered. */
const NETWORK_ERROR_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const NETWORK_ERROR_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'NetworkingError']);

interface SdkErrorShape {
  code?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
  cause?: unknown;
}

/** A fault that passes: a 5xx answer, a reset or timed-out connection, after the SDK's own retries. */
export function isTransientFault(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const shape = error as Error & SdkErrorShape;
  const status = shape.$metadata?.httpStatusCode;
  if (shape.$fault === 'server' || (status !== undefined && status >= 500)) return true;
  if (NETWORK_ERROR_NAMES.has(error.name) || (shape.code && NETWORK_ERROR_CODES.has(shape.code))) return true;
  return shape.cause instanceof Error && shape.cause !== error ? isTransientFault(shape.cause) : false;
}

/**
 * Maps anything thrown to a named error. SDK throttling becomes ServiceThrottledError, and
 * 5xx answers and broken connections become DependencyUnavailableError, both retried by the
 * state machine; other faults keep their name, so the catch-all decides.
 */
export function normaliseError(error: unknown): Error {
  if (error instanceof GorggleError) return error;
  if (error instanceof Error) {
    if (AWS_THROTTLING_ERROR_NAMES.includes(error.name)) {
      return new ServiceThrottledError(`${error.name}: ${error.message}`, { cause: error });
    }
    if (isTransientFault(error)) {
      return new DependencyUnavailableError(`${error.name}: ${error.message}`, { cause: error });
    }
    return error;
  }
  return new Error(String(error));
}

export function describeError(error: unknown): { name: string; message: string } {
  const normalised = normaliseError(error);
  return { name: normalised.name, message: normalised.message };
}
