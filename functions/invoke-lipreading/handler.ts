import { branchTaskInputSchema } from '../lib/contracts/pipeline';
import { lazyConfig } from '../lib/config';
import { dynamoDbClient, s3Client } from '../lib/adapters/aws-clients';
import { DynamoDbJobRepository } from '../lib/adapters/dynamodb-job-repository';
import { Ec2LipReadingHost, ec2Client } from '../lib/adapters/ec2-lipreading-host';
import { HttpLipReadingClient } from '../lib/adapters/lipreading-http';
import { S3ObjectStore } from '../lib/adapters/s3-object-store';
import { runBranchTask } from '../lib/branches/run-branch-task';
import { lipReadingBranch } from '../lib/lipreading/lipreading-branch';
import { staticLipReadingHost } from '../lib/lipreading/static-host';
import { taskHandler } from '../lib/middleware/task-handler';
import { systemClock } from '../lib/ports';
import { configSchema } from './config';

const config = lazyConfig(configSchema);

export const handler = taskHandler(branchTaskInputSchema, async (event) => {
  const settings = config();
  const host = settings.AVHUBERT_ENDPOINT
    ? staticLipReadingHost(settings.AVHUBERT_ENDPOINT)
    : new Ec2LipReadingHost(ec2Client(), {
        instanceTag: settings.AVHUBERT_INSTANCE_TAG ?? '',
        port: settings.AVHUBERT_PORT,
      });
  const provider = lipReadingBranch({
    host,
    clientFor: (endpoint) => new HttpLipReadingClient(endpoint),
    clock: systemClock,
    warmupMaxSeconds: settings.AVHUBERT_WARMUP_MAX_SECONDS,
    objects: new S3ObjectStore(s3Client()),
  });
  return runBranchTask(event, provider, {
    jobs: new DynamoDbJobRepository(dynamoDbClient(), settings.JOBS_TABLE),
    clock: systemClock,
    pollIntervalSeconds: settings.POLL_INTERVAL_SECONDS,
  });
});
