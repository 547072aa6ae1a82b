import { branchTaskInputSchema } from '../lib/contracts/pipeline';
import { lazyConfig } from '../lib/config';
import { dynamoDbClient, s3Client } from '../lib/adapters/aws-clients';
import { DynamoDbConcurrencyGate } from '../lib/adapters/dynamodb-concurrency-gate';
import { DynamoDbJobRepository } from '../lib/adapters/dynamodb-job-repository';
import { RekognitionFaceDetector, rekognitionClient } from '../lib/adapters/rekognition';
import { S3ObjectStore } from '../lib/adapters/s3-object-store';
import { runBranchTask } from '../lib/branches/run-branch-task';
import { faceDetectBranch } from '../lib/faces/face-detect-branch';
import { taskHandler } from '../lib/middleware/task-handler';
import { systemClock } from '../lib/ports';
import { configSchema } from './config';

const config = lazyConfig(configSchema);

/** The gate item shared by every job's face detection. */
const REKOGNITION_GATE = 'rekognition-video';
/** A lease outlives several missed checks, and lapses soon after an execution that vanished. */
const leaseSecondsFor = (pollIntervalSeconds: number) => Math.max(120, 4 * pollIntervalSeconds);

export const handler = taskHandler(branchTaskInputSchema, async (event) => {
  const settings = config();
  const provider = faceDetectBranch({
    detector: new RekognitionFaceDetector(rekognitionClient()),
    objects: new S3ObjectStore(s3Client()),
    processedBucket: settings.PROCESSED_BUCKET,
    ...(settings.LEASES_TABLE
      ? {
          gate: new DynamoDbConcurrencyGate(dynamoDbClient(), settings.LEASES_TABLE, {
            gate: REKOGNITION_GATE,
            slots: settings.REKOGNITION_MAX_CONCURRENT_JOBS,
            leaseSeconds: leaseSecondsFor(settings.POLL_INTERVAL_SECONDS),
          }),
        }
      : {}),
  });
  return runBranchTask(event, provider, {
    jobs: new DynamoDbJobRepository(dynamoDbClient(), settings.JOBS_TABLE),
    clock: systemClock,
    pollIntervalSeconds: settings.POLL_INTERVAL_SECONDS,
  });
});
