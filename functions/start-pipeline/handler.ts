import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import * as z from 'zod';
import { dynamoDbClient, s3Client } from '../lib/adapters/aws-clients';
import { DynamoDbJobRegistry } from '../lib/adapters/dynamodb-job-registry';
import { S3ObjectStore } from '../lib/adapters/s3-object-store';
import { SfnExecutionStarter, sfnClient } from '../lib/adapters/sfn-execution-starter';
import { lazyConfig } from '../lib/config';
import { InvalidEventError } from '../lib/errors';
import { logger } from '../lib/logger';
import { namedErrors } from '../lib/middleware/named-errors';
import { systemClock } from '../lib/ports';
import { startPipelineForMessages } from '../lib/pipeline/start-pipeline';
import { configSchema } from './config';

const config = lazyConfig(configSchema);

const sqsEventSchema = z.object({
  Records: z.array(z.object({ messageId: z.string().min(1), body: z.string() })),
});

/**
 * SQS (fed by S3 ObjectCreated notifications) -> one job and one execution per upload.
 * Returns a partial batch response: only the messages that failed are retried.
 */
export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(injectLambdaContext(logger, { clearState: true }))
  .use(namedErrors({ logger }))
  .handler(async (event) => {
    const parsed = sqsEventSchema.safeParse(event);
    if (!parsed.success) {
      throw new InvalidEventError(`The event is not an SQS batch: ${z.prettifyError(parsed.error)}`);
    }
    const { JOBS_TABLE, STATE_MACHINE_ARN, MAX_UPLOAD_BYTES, ALLOWED_EXTENSIONS, JOB_RETENTION_DAYS } = config();
    return startPipelineForMessages(
      parsed.data.Records,
      {
        jobs: new DynamoDbJobRegistry(dynamoDbClient(), JOBS_TABLE),
        objects: new S3ObjectStore(s3Client()),
        executions: new SfnExecutionStarter(sfnClient(), STATE_MACHINE_ARN),
        clock: systemClock,
        log: logger,
      },
      { maxUploadBytes: MAX_UPLOAD_BYTES, allowedExtensions: ALLOWED_EXTENSIONS, retentionDays: JOB_RETENTION_DAYS },
    );
  });
