import { branchTaskInputSchema } from '../lib/contracts/pipeline';
import { lazyConfig } from '../lib/config';
import { dynamoDbClient, s3Client } from '../lib/adapters/aws-clients';
import { AutoScalingGpuGroup, autoScalingClient, ec2Client } from '../lib/adapters/autoscaling-gpu-group';
import { DynamoDbJobRepository } from '../lib/adapters/dynamodb-job-repository';
import { HttpLipReadingClient } from '../lib/adapters/lipreading-http';
import { S3ObjectStore } from '../lib/adapters/s3-object-store';
import { SsmSecrets } from '../lib/adapters/ssm-parameters';
import { runBranchTask } from '../lib/branches/run-branch-task';
import { LIPREADING_DISABLED_REASON, gpuLipReadingHost, unavailableLipReadingHost } from '../lib/lipreading/gpu-host';
import { lipReadingBranch } from '../lib/lipreading/lipreading-branch';
import { staticLipReadingHost } from '../lib/lipreading/static-host';
import { taskHandler } from '../lib/middleware/task-handler';
import { systemClock, type LipReadingHost } from '../lib/ports';
import { configSchema } from './config';

const config = lazyConfig(configSchema);
let secrets: SsmSecrets | undefined;

/** The server's shared secret: from SSM (cached a few minutes), or given directly on the local stack. */
async function sharedSecret(settings: ReturnType<typeof config>): Promise<string> {
  if (settings.AVHUBERT_SECRET) return settings.AVHUBERT_SECRET;
  secrets ??= new SsmSecrets({ secret: settings.AVHUBERT_SECRET_PARAMETER ?? '' });
  return (await secrets.get()).secret ?? '';
}

function s3Ref(uri: string) {
  const [, bucket = '', key = ''] = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri) ?? [];
  return { bucket, key };
}

function hostFor(settings: ReturnType<typeof config>): LipReadingHost {
  if (settings.LIPREADING_ENABLED === 'false') return unavailableLipReadingHost(LIPREADING_DISABLED_REASON);
  if (settings.AVHUBERT_ENDPOINT) return staticLipReadingHost(settings.AVHUBERT_ENDPOINT);
  return gpuLipReadingHost({
    group: new AutoScalingGpuGroup(
      { autoScaling: autoScalingClient(), ec2: ec2Client() },
      settings.AVHUBERT_ASG_NAME ?? '',
    ),
    port: settings.AVHUBERT_PORT,
    clock: systemClock,
    model: settings.AVHUBERT_MODEL_MANIFEST
      ? { store: new S3ObjectStore(s3Client()), manifest: s3Ref(settings.AVHUBERT_MODEL_MANIFEST) }
      : undefined,
  });
}

export const handler = taskHandler(branchTaskInputSchema, async (event) => {
  const settings = config();
  // No secret is needed, or fetched, when lip reading is off.
  const secret = settings.LIPREADING_ENABLED === 'false' ? '' : await sharedSecret(settings);
  const provider = lipReadingBranch({
    host: hostFor(settings),
    clientFor: (endpoint) => new HttpLipReadingClient(endpoint, secret),
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
