import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Bot } from 'node-telegram-bot-api';
import { dynamoDbClient, s3Client } from '../lib/adapters/aws-clients';
import {
  DynamoDbContributorStore,
  DynamoDbRecordingStore,
  DynamoDbSentenceStore,
  DynamoDbUpdateLedger,
} from '../lib/adapters/dynamodb-bot-store';
import { PipelineJobPurger } from '../lib/adapters/s3-purge';
import { S3VideoStore } from '../lib/adapters/s3-video-store';
import { SsmSecrets } from '../lib/adapters/ssm-parameters';
import { t } from '../lib/bot/i18n';
import { assertContributorSalt } from '../lib/bot/identity';
import { DEFAULT_LANGUAGE } from '../lib/bot/model';
import { createTelegramBot } from '../lib/bot/telegram-bot';
import { handleWebhookRequest } from '../lib/bot/webhook';
import { lazyConfig } from '../lib/config';
import { logger } from '../lib/logger';
import { systemClock } from '../lib/ports';
import { configSchema } from './config';

const config = lazyConfig(configSchema);
let secrets: SsmSecrets | undefined;
let cachedBot: { token: string; salt: string; bot: Bot } | undefined;

const contributorStore = () => new DynamoDbContributorStore(dynamoDbClient(), config().CONTRIBUTORS_TABLE);

/** The bot is rebuilt only when a secret it was built with changes. */
function botFor(token: string, salt: string): Bot {
  if (cachedBot?.token === token && cachedBot.salt === salt) return cachedBot.bot;
  assertContributorSalt(salt);
  const c = config();
  const dynamodb = dynamoDbClient();
  const bot = createTelegramBot(token, c.TELEGRAM_API_ROOT, {
    contributors: contributorStore(),
    sentences: new DynamoDbSentenceStore(dynamodb, c.SENTENCES_TABLE),
    recordings: new DynamoDbRecordingStore(dynamodb, c.RECORDINGS_TABLE),
    videos: new S3VideoStore(s3Client(), c.UPLOADS_BUCKET),
    jobs: new PipelineJobPurger(s3Client(), c.PROCESSED_BUCKET, dynamodb, c.JOBS_TABLE),
    clock: systemClock,
    log: logger,
    settings: {
      uploadsBucket: c.UPLOADS_BUCKET,
      hashSalt: salt,
      adminIds: c.ADMIN_USER_IDS,
      vipIds: c.VIP_USER_IDS,
      testIds: c.TEST_USER_IDS,
      minVideoSec: c.MIN_VIDEO_SECONDS,
      maxVideoSec: c.MAX_VIDEO_SECONDS,
      maxRecordingsPerContributor: c.MAX_RECORDINGS_PER_CONTRIBUTOR,
      reportsToRetire: c.REPORTS_TO_RETIRE,
      exportMinimum: c.EXPORT_MINIMUM_VERDICT,
      consent: { licence: c.DATASET_LICENCE, retentionYears: c.RETENTION_YEARS, contact: c.DATA_CONTACT },
    },
  });
  cachedBot = { token, salt, bot };
  return bot;
}

/** POST /telegram/webhook (HTTP API, payload 2.0): Telegram authenticates with its secret header. */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
  .use(injectLambdaContext(logger, { clearState: true }))
  .handler(async (event, context) => {
    const c = config();
    secrets ??= new SsmSecrets({
      token: c.TELEGRAM_TOKEN_PARAMETER,
      secret: c.TELEGRAM_SECRET_PARAMETER,
      salt: c.CONTRIBUTOR_SALT_PARAMETER,
    });
    const { token = '', secret = '', salt = '' } = await secrets.get();
    const bot = botFor(token, salt);
    const body = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? '');
    const response = await handleWebhookRequest(
      { headers: event.headers ?? {}, body },
      {
        secret,
        ledger: new DynamoDbUpdateLedger(dynamoDbClient(), c.UPDATES_TABLE),
        deadlineSec: Math.ceil(context.getRemainingTimeInMillis() / 1000),
        dispatch: (update) => bot.handleUpdate(update),
        apologise: async (chatId, userId) => {
          const stored = userId === undefined ? undefined : await contributorStore().get(String(userId));
          const language = stored?.contributor.language ?? DEFAULT_LANGUAGE;
          await bot.api.sendMessage({ chat_id: chatId, text: t(language, 'failed') });
        },
        log: logger,
      },
    );
    return { statusCode: response.statusCode, headers: { 'content-type': 'text/plain' }, body: response.body };
  });
