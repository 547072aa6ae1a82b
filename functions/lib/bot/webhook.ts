import { timingSafeEqual } from 'node:crypto';
import type { Update } from 'node-telegram-bot-api';
import * as z from 'zod';
import { describeError } from '../errors';
import { isRetryable } from './errors';
import type { UpdateLedger } from './ports';
import type { BotLog } from './turn';

export const SECRET_HEADER = 'x-telegram-bot-api-secret-token';
/** An update is tried at most this often; then it is dropped so Telegram stops resending it. */
export const MAX_UPDATE_ATTEMPTS = 3;
/** A claim older than this belongs to an invocation that died (timeout, crash). */
export const STALE_CLAIM_SECONDS = 120;

export interface WebhookRequest {
  headers: Record<string, string | undefined>;
  body: string;
}

export interface WebhookResponse {
  statusCode: number;
  body: string;
}

export interface WebhookDeps {
  secret: string;
  ledger: UpdateLedger;
  /** Runs the update to the end (the library's awaited handleUpdate). */
  dispatch(update: Update): Promise<void>;
  /** Tells the user their message was dropped; best effort. */
  apologise(chatId: number): Promise<void>;
  log: BotLog & { error(message: string, attributes: Record<string, unknown>): void };
}

const updateSchema = z.looseObject({ update_id: z.number().int().nonnegative() });

const reply = (statusCode: number, body: string): WebhookResponse => ({ statusCode, body });

export function secretMatches(expected: string, given: string | undefined): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given ?? '');
  return a.length === b.length && timingSafeEqual(a, b);
}

function chatIdOf(update: Record<string, unknown>): number | undefined {
  const message = (update.message ?? (update.callback_query as { message?: unknown } | undefined)?.message) as
    { chat?: { id?: unknown } } | undefined;
  const id = message?.chat?.id ?? (update.callback_query as { from?: { id?: unknown } } | undefined)?.from?.id;
  return typeof id === 'number' ? id : undefined;
}

/**
 * One webhook delivery: authenticate, drop repeats, handle the update fully, and decide
 * whether Telegram should resend it (a transient failure, a few times) or not.
 */
export async function handleWebhookRequest(request: WebhookRequest, deps: WebhookDeps): Promise<WebhookResponse> {
  const headers = Object.fromEntries(Object.entries(request.headers).map(([key, value]) => [key.toLowerCase(), value]));
  if (!secretMatches(deps.secret, headers[SECRET_HEADER])) {
    deps.log.warn('refused a webhook call with a wrong or missing secret token', {});
    return reply(403, 'forbidden');
  }
  let parsed: z.infer<typeof updateSchema>;
  try {
    parsed = updateSchema.parse(JSON.parse(request.body));
  } catch (error) {
    // Not an update: answering 200 keeps Telegram from resending it forever.
    deps.log.warn('ignored a webhook body that is not a Telegram update', { error: describeError(error) });
    return reply(200, 'ignored');
  }
  const updateId = parsed.update_id;
  const claim = await deps.ledger.claim(updateId, {
    maxAttempts: MAX_UPDATE_ATTEMPTS,
    staleAfterSec: STALE_CLAIM_SECONDS,
  });
  if (!claim) {
    deps.log.info('dropped a repeated update', { updateId });
    return reply(200, 'duplicate');
  }
  try {
    await deps.dispatch(parsed as unknown as Update);
    await deps.ledger.settle(updateId, 'done');
    return reply(200, 'ok');
  } catch (error) {
    const retry = isRetryable(error) && claim.attempt < MAX_UPDATE_ATTEMPTS;
    deps.log.error(retry ? 'update failed; Telegram will resend it' : 'update failed; dropping it', {
      updateId,
      attempt: claim.attempt,
      error: describeError(error),
    });
    await deps.ledger.settle(updateId, retry ? 'failed' : 'abandoned');
    if (retry) return reply(500, 'retry');
    const chatId = chatIdOf(parsed);
    if (chatId !== undefined) await deps.apologise(chatId).catch(() => undefined);
    return reply(200, 'dropped');
  }
}
