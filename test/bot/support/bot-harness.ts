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

export const BOT_TOKEN = '123456:TEST-token';
export const WEBHOOK_SECRET = 'webhook-secret_for-tests';
export const HASH_SALT = 'salt-for-tests-at-least-32-bytes-long';
export const UPLOADS_BUCKET = 'gorggle-uploads-test';
export const ADMIN_ID = 900001;
export const VIP_ID = 900002;
export const TEST_USER_ID = 900003;

const TABLES = {
  CONTRIBUTORS_TABLE: 'bot_contributors',
  RECORDINGS_TABLE: 'bot_recordings',
  SENTENCES_TABLE: 'bot_sentences',
  UPDATES_TABLE: 'bot_updates',
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
  const s3 = await startLocalS3([UPLOADS_BUCKET]);

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

let nextUpdateId = 1;
let nextMessageId = 1;

/** A Telegram user talking to the bot in a private chat. */
export class FakeUser {
  constructor(
    private readonly stack: BotStack,
    readonly id: number,
    readonly languageCode = 'he',
  ) {}

  private get from() {
    return { id: this.id, is_bot: false, first_name: `User${this.id}`, language_code: this.languageCode };
  }

  private message(fields: object) {
    return {
      update_id: nextUpdateId++,
      message: {
        message_id: nextMessageId++,
        date: 1_700_000_000,
        from: this.from,
        chat: { id: this.id, type: 'private' },
        ...fields,
      },
    };
  }

  send(fields: object) {
    return this.stack.deliver(this.message(fields));
  }

  text(text: string) {
    return this.send({ text });
  }

  /** Ids of the button presses this user sent, to check that each was answered. */
  readonly callbackQueryIds: string[] = [];

  press(data: string) {
    const id = `cb-${nextUpdateId}`;
    this.callbackQueryIds.push(id);
    return this.stack.deliver({
      update_id: nextUpdateId++,
      callback_query: {
        id,
        from: this.from,
        chat_instance: `ci-${this.id}`,
        data,
        message: { message_id: 1, date: 1_700_000_000, chat: { id: this.id, type: 'private' } },
      },
    });
  }

  /** Sends `file` as a video; the fake Telegram serves its bytes through getFile. */
  video(
    file: string,
    options: { uniqueId: string; duration?: number; size?: number; kind?: 'video' | 'video_note' | 'document' },
  ) {
    const fileId = `file-${options.uniqueId}`;
    const registered = this.stack.telegram.registerFile(fileId, options.uniqueId, file, options.size);
    const common = { file_id: fileId, file_unique_id: options.uniqueId, file_size: registered.size };
    const duration = options.duration ?? 3;
    switch (options.kind ?? 'video') {
      case 'video_note':
        return this.send({ video_note: { ...common, length: 240, duration } });
      case 'document':
        return this.send({ document: { ...common, file_name: path.basename(file), mime_type: 'video/mpeg' } });
      default:
        return this.send({ video: { ...common, width: 360, height: 288, duration, mime_type: 'video/mpeg' } });
    }
  }

  messages() {
    return this.stack.telegram.messagesTo(this.id);
  }

  lastMessage() {
    return this.messages().at(-1)!;
  }

  /** callback_data of the last message that had a button starting with `prefix`. */
  button(prefix: string): string {
    for (const message of this.messages().reverse()) {
      const found = message.buttons.find((data) => data.startsWith(prefix));
      if (found) return found;
    }
    throw new Error(`no button ${prefix}… in ${JSON.stringify(this.messages().map((m) => m.text))}`);
  }
}
