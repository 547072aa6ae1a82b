import { branchTaskInputSchema } from '../lib/contracts/pipeline';
import { lazyConfig } from '../lib/config';
import { dynamoDbClient } from '../lib/adapters/aws-clients';
import { DynamoDbJobRepository } from '../lib/adapters/dynamodb-job-repository';
import { AwsSpeechToText, transcribeClient } from '../lib/adapters/transcribe';
import { runBranchTask } from '../lib/branches/run-branch-task';
import { taskHandler } from '../lib/middleware/task-handler';
import { systemClock } from '../lib/ports';
import { transcribeBranch } from '../lib/transcribe/transcribe-branch';
import { configSchema } from './config';

const config = lazyConfig(configSchema);

export const handler = taskHandler(branchTaskInputSchema, async (event) => {
  const settings = config();
  const provider = transcribeBranch({
    speech: new AwsSpeechToText(transcribeClient(), settings.TRANSCRIBE_DATA_ACCESS_ROLE_ARN),
    processedBucket: settings.PROCESSED_BUCKET,
    language: settings.TRANSCRIBE_LANGUAGE,
    maxSpeakers: settings.MAX_SPEAKERS,
  });
  return runBranchTask(event, provider, {
    jobs: new DynamoDbJobRepository(dynamoDbClient(), settings.JOBS_TABLE),
    clock: systemClock,
    pollIntervalSeconds: settings.POLL_INTERVAL_SECONDS,
  });
});
