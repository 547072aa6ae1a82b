import { recordFailureInputSchema } from '../lib/contracts/pipeline';
import { lazyConfig } from '../lib/config';
import { dynamoDbClient } from '../lib/adapters/aws-clients';
import { DynamoDbJobRepository } from '../lib/adapters/dynamodb-job-repository';
import { logger } from '../lib/logger';
import { taskHandler } from '../lib/middleware/task-handler';
import { recordFailure } from '../lib/pipeline/record-failure';
import { configSchema } from './config';

const config = lazyConfig(configSchema);

/** The state machine's Catch, and EventBridge for executions that timed out or were aborted. */
export const handler = taskHandler(recordFailureInputSchema, async (event) => {
  const jobs = new DynamoDbJobRepository(dynamoDbClient(), config().JOBS_TABLE);
  return recordFailure(event, { jobs, log: logger });
});
