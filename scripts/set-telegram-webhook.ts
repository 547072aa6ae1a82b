/**
 * Points Telegram at the deployed webhook, with the secret Telegram will send back in
 * X-Telegram-Bot-Api-Secret-Token. The token and secret are read from SSM (the same
 * parameters the function reads); with --generate-secret a new secret is stored first.
 *
 *   npx tsx scripts/set-telegram-webhook.ts --url "$(terraform -chdir=terraform output -raw telegram_webhook_url)" \
 *     [--prefix gorggle] [--generate-secret] [--api-root https://api.telegram.org]
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { Api } from 'node-telegram-bot-api';
import { SsmSecrets, ssmClient } from '../functions/lib/adapters/ssm-parameters';
import { DEFAULT_TELEGRAM_API_ROOT } from '../functions/lib/bot/model';

export function parameterNames(prefix: string) {
  return {
    token: `/${prefix}/telegram/bot-token`,
    secret: `/${prefix}/telegram/webhook-secret`,
  };
}

/** Telegram allows 1-256 characters of A-Z, a-z, 0-9, _ and -. */
export const newWebhookSecret = () => randomBytes(48).toString('base64url');

export async function setTelegramWebhook(options: {
  url: string;
  prefix: string;
  apiRoot: string;
  generateSecret: boolean;
}): Promise<void> {
  const names = parameterNames(options.prefix);
  if (!options.url.startsWith('https://')) throw new Error(`Telegram only calls https URLs; got ${options.url}.`);
  if (options.generateSecret) {
    await ssmClient().send(
      new PutParameterCommand({ Name: names.secret, Value: newWebhookSecret(), Type: 'SecureString', Overwrite: true }),
    );
  }
  const { token = '', secret = '' } = await new SsmSecrets(names, ssmClient(), 0).get();
  const api = new Api(token, { apiRoot: options.apiRoot });
  await api.setWebhook({
    url: options.url,
    secret_token: secret,
    allowed_updates: ['message', 'callback_query'],
    drop_pending_updates: false,
    max_connections: 10,
  });
  const info = await api.getWebhookInfo();
  console.log(`webhook set to ${info.url} (${info.pending_update_count} updates pending)`);
}

async function main() {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      prefix: { type: 'string', default: 'gorggle' },
      'api-root': { type: 'string', default: DEFAULT_TELEGRAM_API_ROOT },
      'generate-secret': { type: 'boolean', default: false },
    },
  });
  if (!values.url) throw new Error('Pass --url, the telegram_webhook_url Terraform output.');
  await setTelegramWebhook({
    url: values.url,
    prefix: values.prefix,
    apiRoot: values['api-root'],
    generateSecret: values['generate-secret'],
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
