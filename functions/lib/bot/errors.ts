import { AWS_THROTTLING_ERROR_NAMES, GorggleError } from '../errors';

/** Two updates of one contributor raced; the later one is retried against the new row. */
export class ContributorChangedError extends GorggleError {
  override readonly name = 'ContributorChangedError';
  readonly retryable = true;
}

/** Telegram's file server did not hand over a file. */
export class TelegramFileUnavailableError extends GorggleError {
  override readonly name = 'TelegramFileUnavailableError';
  readonly retryable = true;
}

/**
 * Whether trying the same update again may succeed: our transient errors, AWS throttling,
 * and Telegram's network failures, timeouts, 429s and 5xx.
 */
export function isRetryable(error: unknown): boolean {
  if (error instanceof GorggleError) return error.retryable;
  if (!(error instanceof Error)) return false;
  if (AWS_THROTTLING_ERROR_NAMES.includes(error.name)) return true;
  if (['NetworkError', 'TimeoutError', 'TimeoutErrorTimeout', 'AbortError'].includes(error.name)) return true;
  const code = (error as { errorCode?: unknown }).errorCode;
  if (typeof code === 'number') return code === 429 || code >= 500;
  const fault = (error as { $fault?: unknown }).$fault;
  return fault === 'server';
}

/** A file from Telegram turned out larger than a bot may download (its declared size was wrong or absent). */
export class TelegramFileTooLargeError extends GorggleError {
  override readonly name = 'TelegramFileTooLargeError';
  readonly retryable = false;
}

/** Another update of the same chat is being handled; this one waits its turn (Telegram sends it again). */
export class ChatBusyError extends GorggleError {
  override readonly name = 'ChatBusyError';
  readonly retryable = true;
}
