/**
 * The Telegram bot on the local stack: the telegram-bot Lambda zip, unchanged, fed by long
 * polling (getUpdates) instead of a webhook. Each update is handed to it as the API Gateway
 * event the webhook route would deliver, secret header included; a failed one is handed
 * again, as Telegram resends a webhook update that failed. Its token, webhook secret and
 * contributor salt live in the local SSM, under the names terraform/pipeline.tf gives them.
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbSentenceStore } from '../../functions/lib/adapters/dynamodb-bot-store';
import { seedSentencesFromDir } from '../../functions/lib/bot/seed';
import { SECRET_HEADER } from '../../functions/lib/bot/webhook';
import { REPO_ROOT } from '../build/functions';
import { LOCAL_CREDENTIALS } from '../local-stack/config';
import type { LocalStack } from '../local-stack/stack';
import { resolveVariables } from '../local-stack/terraform-facts';
import path from 'node:path';

export const DEFAULT_TELEGRAM_API_ROOT = 'https://api.telegram.org';
/** Long-poll length Telegram allows (it holds getUpdates open up to this many seconds). */
export const POLL_TIMEOUT_SECONDS = 25;

export interface LocalBotOptions {
  token: string;
  apiRoot?: string;
  /** Asked before an existing webhook is removed (polling and a webhook exclude each other). */
  confirmWebhookRemoval(url: string): Promise<boolean>;
  say(line: string): void;
  pollTimeoutSec?: number;
  /** Pause before handing a failed update over again. */
  retryDelayMs?: number;
}

export interface LocalBot {
  username: string;
  /** Updates handed to the function so far. */
  handled(): number;
  stop(): Promise<void>;
}

/** The bot was not started: a webhook is set and may not be removed. */
export class WebhookInUseError extends Error {
  override readonly name = 'WebhookInUseError';
}

interface BotApiReply<T> {
  ok: boolean;
  result?: T;
  description?: string;
}

/** One Bot API call, JSON in and out. */
async function botApi<T>(
  apiRoot: string,
  token: string,
  method: string,
  body: object,
  signal?: AbortSignal,
): Promise<T> {
  const response = await fetch(`${apiRoot}/bot${token}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
  const reply = (await response.json()) as BotApiReply<T>;
  if (!reply.ok) throw new Error(`Telegram's ${method} failed: ${reply.description ?? response.status}`);
  return reply.result as T;
}

/** The SSM parameter names telegram-bot reads, from its Terraform environment. */
export function botParameterNames(stack: Pick<LocalStack, 'facts' | 'config'>) {
  const environment = stack.facts.functions['telegram-bot']?.environment ?? {};
  const name = (key: string) => {
    const resolved = resolveVariables(environment[key] ?? '', { name_prefix: stack.config.namePrefix });
    if (!resolved.startsWith('/')) throw new Error(`terraform gives telegram-bot no ${key}`);
    return resolved;
  };
  return {
    token: name('TELEGRAM_TOKEN_PARAMETER'),
    secret: name('TELEGRAM_SECRET_PARAMETER'),
    salt: name('CONTRIBUTOR_SALT_PARAMETER'),
  };
}

/** Puts the token in the local SSM, and makes the webhook secret and salt once (kept across runs). */
export function storeBotSecrets(stack: Pick<LocalStack, 'facts' | 'config' | 'ssm'>, token: string) {
  const names = botParameterNames(stack);
  stack.ssm.put(names.token, token);
  // The salt must never change: contributor codes and recording ids are derived from it.
  if (!stack.ssm.get(names.salt)) stack.ssm.put(names.salt, randomBytes(32).toString('base64url'));
  if (!stack.ssm.get(names.secret)) stack.ssm.put(names.secret, randomBytes(24).toString('base64url'));
  return { secret: stack.ssm.get(names.secret) ?? '' };
}

/** The API Gateway (HTTP API, payload 2.0) event of POST /telegram/webhook. */
function webhookEvent(update: unknown, secret: string) {
  return {
    version: '2.0',
    routeKey: 'POST /telegram/webhook',
    rawPath: '/telegram/webhook',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', [SECRET_HEADER]: secret },
    requestContext: { http: { method: 'POST', path: '/telegram/webhook' }, requestId: randomBytes(8).toString('hex') },
    body: JSON.stringify(update),
    isBase64Encoded: false,
  };
}

export async function startLocalBot(stack: LocalStack, options: LocalBotOptions): Promise<LocalBot> {
  const apiRoot = options.apiRoot ?? DEFAULT_TELEGRAM_API_ROOT;
  const call = <T>(method: string, body: object, signal?: AbortSignal) =>
    botApi<T>(apiRoot, options.token, method, body, signal);
  const me = await call<{ username?: string; first_name: string }>('getMe', {});
  const username = me.username ?? me.first_name;

  const webhook = await call<{ url: string }>('getWebhookInfo', {});
  if (webhook.url) {
    options.say(
      `@${username} has a webhook (${webhook.url}); polling here needs it removed. To restore it afterwards:\n` +
        `  npx tsx scripts/set-telegram-webhook.ts --url '${webhook.url}'   (with the deployment's secret)`,
    );
    if (!(await options.confirmWebhookRemoval(webhook.url))) {
      throw new WebhookInUseError(`@${username} keeps its webhook (${webhook.url}); the local bot is not started.`);
    }
    await call('deleteWebhook', { drop_pending_updates: false });
  }

  const { secret } = storeBotSecrets(stack, options.token);
  const sentences = new DynamoDbSentenceStore(
    new DynamoDBClient({
      endpoint: stack.endpoints.dynamodb,
      region: stack.config.region,
      credentials: {
        accessKeyId: LOCAL_CREDENTIALS.AWS_ACCESS_KEY_ID,
        secretAccessKey: LOCAL_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
      },
    }),
    resolveVariables(stack.facts.tables.find((table) => table.resource === 'bot_sentences')?.nameTemplate ?? '', {
      name_prefix: stack.config.namePrefix,
    }),
  );
  await seedSentencesFromDir(path.join(REPO_ROOT, 'data', 'sentences'), sentences, new Date());

  const controller = new AbortController();
  const retryDelayMs = options.retryDelayMs ?? 1000;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      controller.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  let handled = 0;

  /** Hands one update to the function until it is done with it (2xx), as Telegram would resend. */
  const handOver = async (update: { update_id: number }) => {
    while (!controller.signal.aborted) {
      const result = await stack.lambda.invoke('telegram-bot', webhookEvent(update, secret));
      const status = result.ok ? Number((result.payload as { statusCode?: number } | null)?.statusCode ?? 500) : 500;
      if (status < 300) {
        handled += 1;
        return;
      }
      await sleep(retryDelayMs);
    }
  };

  const loop = (async () => {
    let offset = 0;
    while (!controller.signal.aborted) {
      let updates: Array<{ update_id: number }>;
      try {
        updates = await call(
          'getUpdates',
          {
            offset,
            timeout: options.pollTimeoutSec ?? POLL_TIMEOUT_SECONDS,
            allowed_updates: ['message', 'callback_query'],
          },
          controller.signal,
        );
      } catch (error) {
        if (controller.signal.aborted) break;
        options.say(`Telegram's getUpdates failed (${(error as Error).message}); trying again.`);
        await sleep(retryDelayMs);
        continue;
      }
      for (const update of updates) {
        await handOver(update);
        offset = update.update_id + 1;
      }
    }
  })();

  return {
    username,
    handled: () => handled,
    async stop() {
      controller.abort();
      await loop;
    },
  };
}
