import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import type * as z from 'zod';
import { InvalidEventError } from '../errors';
import { jobIdOfEvent, logger } from '../logger';
import { namedErrors } from './named-errors';

/**
 * Wraps a Step Functions task: structured logs with the Lambda context and the jobId on every
 * line, the event validated by zod, and every failure rethrown under a stable error name.
 */
export function taskHandler<S extends z.ZodType, R>(
  eventSchema: S,
  run: (event: z.infer<S>, context: Context) => Promise<R>,
) {
  return middy<unknown, R>()
    .use(injectLambdaContext(logger, { clearState: true }))
    .use(namedErrors({ logger }))
    .handler(async (rawEvent, context) => {
      const jobId = jobIdOfEvent(rawEvent);
      if (jobId) logger.appendKeys({ jobId });
      const parsed = eventSchema.safeParse(rawEvent);
      if (!parsed.success) {
        throw new InvalidEventError(`The task input does not match its contract: ${parsed.error.message}`);
      }
      return run(parsed.data, context);
    });
}
