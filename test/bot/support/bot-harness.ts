/**
 * The telegram-bot handler, unchanged, against real local services: dynalite with the
 * tables of terraform/bot.tf, s3rver as the uploads bucket, and the fake Telegram Bot API.
 * Only SSM is mocked (there is no local SSM). Import this before the handler.
 */
import path from 'node:path';
import { ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDbSentenceStore } from '../../../functions/lib/adapters/dynamodb-bot-store';
import { seedSentencesFromDir } from '../../../functions/lib/bot/seed';
import { startLocalS3 } from '../../emulators/support/local-aws';
import { startLocalDynamoDb } from '../../support/local-dynamodb';
import { REPO_ROOT } from '../../support/paths';
import { FakeTelegram } from './fake-telegram';
import { FakeUser } from './fake-user';

export const BOT_TOKEN = '123456:TEST-token';
export const WEBHOOK_SECRET = 'webhook-secret_for-tests';
export const HASH_SALT = 'salt-for-tests-at-least-32-bytes-long';
export const UPLOADS_BUCKET = 'gorggle-uploads-test';
export const PROCESSED_BUCKET = 'gorggle-processed-test';
export const DATA_CONTACT = 'data@gorggle.test';
export const ADMIN_ID = 900001;
export const VIP_ID = 900002;
export const TEST_USER_ID = 900003;

const TABLES = {
  CONTRIBUTORS_TABLE: 'bot_contributors',
  RECORDINGS_TABLE: 'bot_recordings',
  SENTENCES_TABLE: 'bot_sentences',
  UPDATES_TABLE: 'bot_updates',
  JOBS_TABLE: 'jobs',
} as const;

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

const context = {
  functionName: 'gorggle-telegram-bot',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:gorggle-telegram-bot',
  memoryLimitInMB: '512',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  getRemainingTimeInMillis: () => 28_000,
} as unknown as Context;

export interface BotStack {
  telegram: FakeTelegram;
  dynamoEndpoint: string;
  s3: Awaited<ReturnType<typeof startLocalS3>>;
  dynamodb: DynamoDBClient;
  tableNames: Record<keyof typeof TABLES, string>;
  deliver(update: object, secret?: string): Promise<APIGatewayProxyStructuredResultV2>;
  scan<T>(table: keyof typeof TABLES): Promise<T[]>;
  stop(): Promise<void>;
}

export async function startBotStack(): Promise<BotStack> {
  const telegram = new FakeTelegram(BOT_TOKEN);
  await telegram.start();
  const s3 = await startLocalS3([UPLOADS_BUCKET, PROCESSED_BUCKET]);

  // The tables exactly as terraform/bot.tf declares them.
  const local = await startLocalDynamoDb(Object.values(TABLES));
  const dynamodb = local.client;
  const tableNames = Object.fromEntries(
    Object.entries(TABLES).map(([key, resource]) => [key, local.tables[resource]!]),
  ) as Record<keyof typeof TABLES, string>;

  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: local.endpoint,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    UPLOADS_BUCKET,
    PROCESSED_BUCKET,
    DATA_CONTACT,
    REPORTS_TO_RETIRE: '2',
    // No pipeline runs here, so no take gets a verdict: export every stored one.
    EXPORT_MINIMUM_VERDICT: 'any',
    TELEGRAM_TOKEN_PARAMETER: '/gorggle/telegram/bot-token',
    TELEGRAM_SECRET_PARAMETER: '/gorggle/telegram/webhook-secret',
    CONTRIBUTOR_SALT_PARAMETER: '/gorggle/telegram/contributor-salt',
    TELEGRAM_API_ROOT: telegram.apiRoot,
    ADMIN_USER_IDS: String(ADMIN_ID),
    VIP_USER_IDS: String(VIP_ID),
    TEST_USER_IDS: String(TEST_USER_ID),
    MIN_VIDEO_SECONDS: '1',
    MAX_VIDEO_SECONDS: '20',
    MAX_RECORDINGS_PER_CONTRIBUTOR: '50',
    ...tableNames,
  });

  await seedSentencesFromDir(
    path.join(REPO_ROOT, 'data', 'sentences'),
    new DynamoDbSentenceStore(dynamodb, tableNames.SENTENCES_TABLE),
    new Date('2025-01-01T00:00:00Z'),
  );

  const ssm = mockClient(SSMClient);
  ssm.on(GetParametersCommand).callsFake((input: { Names: string[] }) => {
    const values: Record<string, string> = {
      '/gorggle/telegram/bot-token': BOT_TOKEN,
      '/gorggle/telegram/webhook-secret': WEBHOOK_SECRET,
      '/gorggle/telegram/contributor-salt': HASH_SALT,
    };
    return { Parameters: input.Names.map((name) => ({ Name: name, Value: values[name] })), InvalidParameters: [] };
  });

  const { handler } = (await import('../../../functions/telegram-bot/handler')) as { handler: Handler };

  return {
    telegram,
    dynamoEndpoint: local.endpoint,
    s3,
    dynamodb,
    tableNames,
    deliver: (update, secret = WEBHOOK_SECRET) =>
      handler(
        {
          version: '2.0',
          routeKey: 'POST /telegram/webhook',
          rawPath: '/telegram/webhook',
          rawQueryString: '',
          headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret },
          body: JSON.stringify(update),
          isBase64Encoded: false,
          requestContext: {} as APIGatewayProxyEventV2['requestContext'],
        },
        context,
      ),
    async scan<T>(table: keyof typeof TABLES) {
      const { Items = [] } = await dynamodb.send(new ScanCommand({ TableName: tableNames[table] }));
      return Items.map((item) => unmarshall(item) as T);
    },
    async stop() {
      ssm.restore();
      await telegram.stop();
      await s3.stop();
      await local.stop();
    },
  };
}

/** A user talking to the webhook handler of `stack`. */
export const userOf = (stack: BotStack, id: number, languageCode = 'he') =>
  new FakeUser<APIGatewayProxyStructuredResultV2>(stack.telegram, (update) => stack.deliver(update), id, languageCode);

export { FakeUser };
