import { timingSafeEqual } from 'node:crypto';
import type { Update } from 'node-telegram-bot-api';
import * as z from 'zod';
import { describeError } from '../errors';
import { ChatBusyError, isRetryable } from './errors';
import type { UpdateLedger } from './ports';
import type { BotLog } from './turn';

export const SECRET_HEADER = 'x-telegram-bot-api-secret-token';
/** An update is tried at most this often; then it is dropped so Telegram stops resending it. */
export const MAX_UPDATE_ATTEMPTS = 3;
/** A claim outlives the invocation's own deadline by this much before another may take it over. */
export const LEASE_MARGIN_SECONDS = 5;
/** How long an update waits for the one before it in the same chat, polling every CHAT_WAIT_STEP_MS. */
export const CHAT_WAIT_MS = 10_000;
export const CHAT_WAIT_STEP_MS = 200;

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
  /** Seconds until this invocation is killed (Lambda's remaining time): the claim's lease. */
  deadlineSec: number;
  /** Runs the update to the end (the library's awaited handleUpdate). */
  dispatch(update: Update): Promise<void>;
  /** Tells the user, in their language, that their message was dropped; best effort. */
  apologise(chatId: number, userId: number | undefined): Promise<void>;
  sleep?(ms: number): Promise<void>;
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
  const id = message?.chat?.id ?? userIdOf(update);
  return typeof id === 'number' ? id : undefined;
}

function userIdOf(update: Record<string, unknown>): number | undefined {
  const from = ((update.message ?? update.callback_query) as { from?: { id?: unknown } } | undefined)?.from;
  return typeof from?.id === 'number' ? from.id : undefined;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Waits (briefly, within this invocation's time) until no other update of the chat is being
 * handled, so two quick videos are filed one after the other against the row as it then is.
 */
async function lockChat(deps: WebhookDeps, chatId: number, holder: string): Promise<void> {
  const sleep = deps.sleep ?? defaultSleep;
  const waitMs = Math.min(CHAT_WAIT_MS, Math.max(0, (deps.deadlineSec - 15) * 1000));
  for (let waited = 0; ; waited += CHAT_WAIT_STEP_MS) {
    if (await deps.ledger.lockChat(chatId, holder, deps.deadlineSec + LEASE_MARGIN_SECONDS)) return;
    if (waited >= waitMs) throw new ChatBusyError(`Chat ${chatId} is busy with another update.`);
    await sleep(CHAT_WAIT_STEP_MS);
  }
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
    leaseSec: deps.deadlineSec + LEASE_MARGIN_SECONDS,
  });
  if (claim.state === 'done') {
    deps.log.info('dropped a repeated update', { updateId });
    return reply(200, 'duplicate');
  }
  if (claim.state === 'in-progress') {
    // Its first delivery is still being handled (a slow download): answering 200 here would
    // lose it if that invocation dies, so Telegram is asked to send it again later.
    deps.log.info('an update is still being handled; Telegram will resend it', { updateId });
    return reply(429, 'in progress');
  }
  const chatId = chatIdOf(parsed);
  const holder = `update:${updateId}`;
  try {
    if (chatId !== undefined) await lockChat(deps, chatId, holder);
    try {
      await deps.dispatch(parsed as unknown as Update);
    } finally {
      if (chatId !== undefined) await deps.ledger.unlockChat(chatId, holder);
    }
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
    if (chatId !== undefined) await deps.apologise(chatId, userIdOf(parsed)).catch(() => undefined);
    return reply(200, 'dropped');
  }
}
