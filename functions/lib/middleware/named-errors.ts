import type middy from '@middy/core';
import { normaliseError } from '../errors';

export interface NamedErrorsOptions {
  logger: { error: (message: string, attributes: Record<string, unknown>) => void };
}

const defaults: Partial<NamedErrorsOptions> = {};

/**
 * middy middleware: rethrows whatever a handler throws as an error with a stable name
 * (see errors.ts), after logging it once. Step Functions' Retry and Catch match those names.
 */
export function namedErrors(options: NamedErrorsOptions): middy.MiddlewareObj {
  const { logger } = { ...defaults, ...options };
  if (!logger) throw new TypeError('namedErrors needs a logger');

  const namedErrorsOnError: middy.MiddlewareFn = async (request) => {
    const error = normaliseError(request.error);
    logger.error('task failed', { error: { name: error.name, message: error.message } });
    request.error = error;
  };

  return { onError: namedErrorsOnError };
}
