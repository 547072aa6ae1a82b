/**
 * HTTP shapes of the results API: JSON responses, and errors with a stable `code` that the
 * web page (and anyone scripting the API) can branch on.
 */

export const API_ERROR_CODES = [
  'UNAUTHORIZED',
  'INVALID_REQUEST',
  'INVALID_JSON',
  'UNSUPPORTED_MEDIA_TYPE',
  'UPLOAD_REJECTED',
  'JOB_NOT_FOUND',
  'EXECUTION_NOT_STARTED',
  'RESULT_NOT_READY',
  'RESULT_GONE',
  'TOO_MANY_REQUESTS',
  'FORBIDDEN',
  'EDIT_CONFLICT',
  'VERSION_NOT_FOUND',
  'TRACK_NOT_AVAILABLE',
  'ROUTE_NOT_FOUND',
  'INTERNAL',
] as const;
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

export interface ApiErrorBody {
  error: { code: ApiErrorCode; message: string; requestId?: string };
}

/** An error the API answers with as-is: its status, code and message reach the caller. */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly statusCode: number,
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

const JSON_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  // Answers carry short-lived signed URLs and live job state: never cache them.
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

export function jsonResponse(statusCode: number, body: unknown): HttpResponse {
  return { statusCode, headers: { ...JSON_HEADERS }, body: JSON.stringify(body) };
}

export function errorResponse(error: ApiError, requestId?: string): HttpResponse {
  const body: ApiErrorBody = {
    error: { code: error.code, message: error.message, ...(requestId ? { requestId } : {}) },
  };
  const response = jsonResponse(error.statusCode, body);
  // RFC 6750: tell the client which scheme to use.
  if (error.statusCode === 401) response.headers['www-authenticate'] = 'Bearer';
  return response;
}
