import { failureInputSchema } from '../lib/contracts/pipeline';
import { lazyConfig } from '../lib/config';
import { dynamoDbClient } from '../lib/adapters/aws-clients';
import { DynamoDbJobRepository } from '../lib/adapters/dynamodb-job-repository';
import { taskHandler } from '../lib/middleware/task-handler';
import { recordFailure } from '../lib/pipeline/record-failure';
import { configSchema } from './config';

const config = lazyConfig(configSchema);

export const handler = taskHandler(failureInputSchema, async (event) => {
  const jobs = new DynamoDbJobRepository(dynamoDbClient(), config().JOBS_TABLE);
  return recordFailure(event, { jobs });
});
