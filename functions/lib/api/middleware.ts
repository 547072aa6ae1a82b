import type middy from '@middy/core';
import { ApiError, errorResponse, type ApiErrorCode } from './http';

export interface JsonErrorsOptions {
  logger: {
    warn: (message: string, attributes: Record<string, unknown>) => void;
    error: (message: string, attributes: Record<string, unknown>) => void;
  };
}

const defaults: Partial<JsonErrorsOptions> = {};

/** Status codes middy's own HTTP middlewares throw, and the code each becomes. */
const CODES_BY_STATUS: Readonly<Record<number, ApiErrorCode>> = {
  400: 'INVALID_REQUEST',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'INVALID_JSON',
};

const MIDDY_MESSAGES: Readonly<Record<number, string>> = {
  415: 'Send the request body as JSON with "Content-Type: application/json".',
  422: 'The request body is not valid JSON. Fix it and send it again.',
};

/**
 * middy middleware: turns whatever a route throws into a JSON error with a stable code.
 * Client errors keep their message; anything else is logged and answered as INTERNAL,
 * without internals, but with the request id to find the log line.
 */
export function jsonErrors(options: JsonErrorsOptions): middy.MiddlewareObj {
  const { logger } = { ...defaults, ...options };
  if (!logger) throw new TypeError('jsonErrors needs a logger');

  const jsonErrorsOnError: middy.MiddlewareFn = async (request) => {
    if (request.response !== undefined && request.error === undefined) return;
    const requestId = request.context?.awsRequestId;
    const error = toApiError(request.error);
    if (error.statusCode >= 500) {
      logger.error('request failed', {
        error: request.error instanceof Error ? { name: request.error.name, message: request.error.message } : {},
      });
    } else {
      logger.warn('request refused', { code: error.code, message: error.message });
    }
    request.response = errorResponse(error, requestId);
  };

  return { onError: jsonErrorsOnError };
}

function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const status = (error as { statusCode?: unknown } | undefined)?.statusCode;
  if (typeof status === 'number' && CODES_BY_STATUS[status]) {
    return new ApiError(status, CODES_BY_STATUS[status], MIDDY_MESSAGES[status] ?? 'The request is not valid.');
  }
  return new ApiError(
    500,
    'INTERNAL',
    'Something went wrong on our side. Try again; if it keeps failing, quote the request id.',
  );
}
