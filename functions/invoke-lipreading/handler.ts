import { branchTaskInputSchema } from '../lib/contracts/pipeline';
import { lazyConfig } from '../lib/config';
import { dynamoDbClient } from '../lib/adapters/aws-clients';
import { DynamoDbJobRepository } from '../lib/adapters/dynamodb-job-repository';
import { Ec2LipReadingHost, ec2Client } from '../lib/adapters/ec2-lipreading-host';
import { HttpLipReadingClient } from '../lib/adapters/lipreading-http';
import { SsmSecrets } from '../lib/adapters/ssm-parameters';
import { runBranchTask } from '../lib/branches/run-branch-task';
import { lipReadingBranch } from '../lib/lipreading/lipreading-branch';
import { staticLipReadingHost } from '../lib/lipreading/static-host';
import { taskHandler } from '../lib/middleware/task-handler';
import { systemClock } from '../lib/ports';
import { configSchema } from './config';

const config = lazyConfig(configSchema);
let secrets: SsmSecrets | undefined;

/** The server's shared secret: from SSM (cached a few minutes), or given directly on the local stack. */
async function sharedSecret(settings: ReturnType<typeof config>): Promise<string> {
  if (settings.AVHUBERT_SECRET) return settings.AVHUBERT_SECRET;
  secrets ??= new SsmSecrets({ secret: settings.AVHUBERT_SECRET_PARAMETER ?? '' });
  return (await secrets.get()).secret ?? '';
}

export const handler = taskHandler(branchTaskInputSchema, async (event) => {
  const settings = config();
  const secret = await sharedSecret(settings);
  const host = settings.AVHUBERT_ENDPOINT
    ? staticLipReadingHost(settings.AVHUBERT_ENDPOINT)
    : new Ec2LipReadingHost(ec2Client(), {
        instanceTag: settings.AVHUBERT_INSTANCE_TAG ?? '',
        port: settings.AVHUBERT_PORT,
      });
  const provider = lipReadingBranch({
    host,
    clientFor: (endpoint) => new HttpLipReadingClient(endpoint, secret),
    clock: systemClock,
    warmupMaxSeconds: settings.AVHUBERT_WARMUP_MAX_SECONDS,
  });
  return runBranchTask(event, provider, {
    jobs: new DynamoDbJobRepository(dynamoDbClient(), settings.JOBS_TABLE),
    clock: systemClock,
    pollIntervalSeconds: settings.POLL_INTERVAL_SECONDS,
  });
});
