import { fuseInputSchema } from '../lib/contracts/pipeline';
import { lazyConfig } from '../lib/config';
import { dynamoDbClient, s3Client } from '../lib/adapters/aws-clients';
import { DynamoDbJobRepository } from '../lib/adapters/dynamodb-job-repository';
import { S3ObjectStore } from '../lib/adapters/s3-object-store';
import { logger } from '../lib/logger';
import { taskHandler } from '../lib/middleware/task-handler';
import { fuseJob } from '../lib/fuse/fuse-job';
import { JOB_FINISHED_LOG_MESSAGE } from '../lib/pipeline/job-log';
import { configSchema } from './config';

const config = lazyConfig(configSchema);

export const handler = taskHandler(fuseInputSchema, async (event) => {
  const { JOBS_TABLE, PROCESSED_BUCKET } = config();
  const outcome = await fuseJob(
    event,
    { store: new S3ObjectStore(s3Client()), jobs: new DynamoDbJobRepository(dynamoDbClient(), JOBS_TABLE) },
    { processedBucket: PROCESSED_BUCKET },
  );
  // Counted by the DEGRADED-rate metric filter (terraform/observability.tf).
  logger.info(JOB_FINISHED_LOG_MESSAGE, { status: outcome.status });
  return outcome;
});
