import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { Bot } from 'node-telegram-bot-api';
import { handleTelegramUpdate } from './conversation';
import { TelegramFileUnavailableError } from './errors';
import type { ConversationDeps } from './turn';

export { DEFAULT_TELEGRAM_API_ROOT } from './model';

/**
 * node-telegram-bot-api 2.x on purpose: its `handleUpdate` resolves only after the
 * middleware has finished, so the Lambda returns after the update is fully handled.
 * 0.67/1.x have `processUpdate`, which fires the handlers and returns at once: Lambda
 * would freeze them mid-flight.
 */
export function createTelegramBot(
  token: string,
  apiRoot: string,
  deps: Omit<ConversationDeps, 'api' | 'downloadFile'>,
): Bot {
  const bot = new Bot(token, { apiRoot, maxRetries: 1, timeoutMs: 20_000 });
  const downloadFile = fileDownloader(token, apiRoot);
  bot.use(async (ctx) => handleTelegramUpdate(ctx.update, { ...deps, api: ctx.api, downloadFile }));
  // Fail loud: the webhook decides between a retry and dropping the update.
  bot.catch((error) => {
    throw error;
  });
  return bot;
}

/** A download (20 MB at most) gets this long, so a stalled one ends well inside the function's time. */
export const DOWNLOAD_TIMEOUT_MS = 20_000;

/** Files come from <apiRoot>/file/bot<token>/<file_path>, the path getFile returned. */
export function fileDownloader(token: string, apiRoot: string, timeoutMs = DOWNLOAD_TIMEOUT_MS) {
  return async (filePath: string): Promise<Readable> => {
    const response = await fetch(`${apiRoot}/file/bot${token}/${filePath}`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok || !response.body) {
      throw new TelegramFileUnavailableError(`Telegram answered ${response.status} for a file download.`);
    }
    return Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
  };
}
