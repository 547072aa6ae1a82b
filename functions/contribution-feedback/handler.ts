import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Api } from 'node-telegram-bot-api';
import * as z from 'zod';
import { dynamoDbClient, s3Client } from '../lib/adapters/aws-clients';
import {
  DynamoDbJobReader,
  DynamoDbRecordingQualityStore,
  jobFileReader,
} from '../lib/adapters/contribution-feedback-store';
import { DynamoDbSentenceCoverage } from '../lib/adapters/dynamodb-sentence-coverage';
import { PipelineJobPurger } from '../lib/adapters/s3-purge';
import { SsmSecrets } from '../lib/adapters/ssm-parameters';
import { DEFAULT_FEEDBACK_OPTIONS, reviewContribution, type FeedbackOutcome } from '../lib/bot/feedback';
import { lazyConfig } from '../lib/config';
import { InvalidEventError } from '../lib/errors';
import { logger } from '../lib/logger';
import { namedErrors } from '../lib/middleware/named-errors';
import { systemClock } from '../lib/ports';
import { configSchema } from './config';

const config = lazyConfig(configSchema);
let secrets: SsmSecrets | undefined;

/** EventBridge's "Step Functions Execution Status Change"; the execution name is the jobId. */
const executionStatusChangeSchema = z.object({
  source: z.literal('aws.states'),
  detail: z.object({ name: z.string().min(1), status: z.string().min(1) }),
});

export const handler = middy<unknown, FeedbackOutcome>()
  .use(injectLambdaContext(logger, { clearState: true }))
  .use(namedErrors({ logger }))
  .handler(async (event) => {
    const parsed = executionStatusChangeSchema.safeParse(event);
    if (!parsed.success) {
      throw new InvalidEventError(`The event is not an execution status change: ${z.prettifyError(parsed.error)}`);
    }
    const c = config();
    const botSecrets = (secrets ??= new SsmSecrets({ token: c.TELEGRAM_TOKEN_PARAMETER }));
    const outcome = await reviewContribution(
      { jobId: parsed.data.detail.name, status: parsed.data.detail.status },
      {
        jobs: new DynamoDbJobReader(dynamoDbClient(), c.JOBS_TABLE),
        recordings: new DynamoDbRecordingQualityStore(dynamoDbClient(), c.RECORDINGS_TABLE),
        sentences: new DynamoDbSentenceCoverage(dynamoDbClient(), c.SENTENCES_TABLE),
        purgeJob: (jobId) =>
          new PipelineJobPurger(s3Client(), c.PROCESSED_BUCKET, dynamoDbClient(), c.JOBS_TABLE).purgeJob(jobId),
        readJobFile: jobFileReader(s3Client(), c.PROCESSED_BUCKET),
        notify: async (chatId, text, keyboard) => {
          const { token = '' } = await botSecrets.get();
          await new Api(token, { apiRoot: c.TELEGRAM_API_ROOT }).sendMessage({
            chat_id: chatId,
            text,
            ...(keyboard ? { reply_markup: { inline_keyboard: keyboard } } : {}),
          });
        },
        clock: systemClock,
      },
      {
        ...DEFAULT_FEEDBACK_OPTIONS,
        minFaceRatio: c.MIN_FACE_RATIO,
        minFaceSize: c.MIN_FACE_SIZE,
        minBrightness: c.MIN_FACE_BRIGHTNESS,
        minSpeechSec: c.MIN_SPEECH_SECONDS,
        maxAcceptedWer: c.MAX_ACCEPTED_WER,
        werLanguages: c.WER_LANGUAGES,
        minVideoSec: c.MIN_VIDEO_SECONDS,
        maxVideoSec: c.MAX_VIDEO_SECONDS,
      },
    );
    logger.info(`contribution ${outcome.outcome}`, { ...outcome });
    return outcome;
  });
