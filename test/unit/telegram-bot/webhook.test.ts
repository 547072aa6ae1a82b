import { jest } from '@jest/globals';
import type { Update } from 'node-telegram-bot-api';
import { ContributorChangedError } from '../../../functions/lib/bot/errors';
import type { LedgerClaim, UpdateLedger } from '../../../functions/lib/bot/ports';
import {
  CHAT_WAIT_MS,
  CHAT_WAIT_STEP_MS,
  MAX_UPDATE_ATTEMPTS,
  handleWebhookRequest,
  type WebhookDeps,
} from '../../../functions/lib/bot/webhook';

/** The ledger's rules in memory (test/bot/update-ledger.test.ts holds DynamoDB to the same). */
class MemoryLedger implements UpdateLedger {
  readonly rows = new Map<number, { status: string; attempts: number }>();
  readonly chats = new Map<number, string>();

  async claim(updateId: number, options: { maxAttempts: number }): Promise<LedgerClaim> {
    const row = this.rows.get(updateId);
    if (row?.status === 'processing') return { state: 'in-progress' };
    if (row && !(row.status === 'failed' && row.attempts < options.maxAttempts)) return { state: 'done' };
    const attempts = (row?.attempts ?? 0) + 1;
    this.rows.set(updateId, { status: 'processing', attempts });
    return { state: 'claimed', attempt: attempts };
  }

  async settle(updateId: number, status: string) {
    this.rows.get(updateId)!.status = status;
  }

  async lockChat(chatId: number, holder: string) {
    const current = this.chats.get(chatId);
    if (current && current !== holder) return false;
    this.chats.set(chatId, holder);
    return true;
  }

  async unlockChat(chatId: number, holder: string) {
    if (this.chats.get(chatId) === holder) this.chats.delete(chatId);
  }
}

const body = JSON.stringify({
  update_id: 7,
  message: { message_id: 1, date: 0, chat: { id: 55, type: 'private' }, text: 'hi' },
});
const silentLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

function deps(dispatch: (update: Update) => Promise<void>) {
  const apologies: number[] = [];
  const ledger = new MemoryLedger();
  const slept: number[] = [];
  const webhook: WebhookDeps = {
    secret: 's3cret',
    ledger,
    deadlineSec: 28,
    sleep: async (ms) => {
      slept.push(ms);
    },
    dispatch,
    apologise: async (chatId) => {
      apologies.push(chatId);
    },
    log: silentLog,
  };
  return { webhook, apologies, ledger, slept };
}

const request = (secret?: string) => ({ headers: secret ? { 'X-Telegram-Bot-Api-Secret-Token': secret } : {}, body });

describe('the webhook', () => {
  it('answers 403 to a missing or wrong secret without dispatching', async () => {
    // Prepare
    const dispatch = jest.fn(async () => undefined);
    const { webhook } = deps(dispatch);

    // Act
    const responses = [
      await handleWebhookRequest(request(), webhook),
      await handleWebhookRequest(request('s3cre'), webhook),
    ];

    // Assess
    expect(responses.map((response) => response.statusCode)).toEqual([403, 403]);
    expect(dispatch).not.toHaveBeenCalled();
  });

  it('lets Telegram resend after a transient failure, then drops the update and apologises', async () => {
    // Prepare
    const { webhook, apologies, ledger } = deps(async () => {
      throw new ContributorChangedError('raced');
    });

    // Act
    const statuses: number[] = [];
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS + 1; attempt += 1) {
      statuses.push((await handleWebhookRequest(request('s3cret'), webhook)).statusCode);
    }

    // Assess
    expect(statuses).toEqual([500, 500, 200, 200]);
    expect(apologies).toEqual([55]);
    expect(ledger.rows.get(7)).toEqual({ status: 'abandoned', attempts: 3 });
  });

  it('drops an update at once when the failure cannot heal by itself', async () => {
    // Prepare
    const { webhook, apologies } = deps(async () => {
      throw new TypeError('a bug');
    });

    // Act
    const response = await handleWebhookRequest(request('s3cret'), webhook);

    // Assess
    expect([response.statusCode, response.body]).toEqual([200, 'dropped']);
    expect(apologies).toEqual([55]);
  });

  it('handles an update once and then drops its repeats', async () => {
    // Prepare
    const dispatch = jest.fn(async () => undefined);
    const { webhook } = deps(dispatch);

    // Act
    const first = await handleWebhookRequest(request('s3cret'), webhook);
    const again = await handleWebhookRequest(request('s3cret'), webhook);

    // Assess
    expect([first.body, again.body]).toEqual(['ok', 'duplicate']);
    expect(dispatch).toHaveBeenCalledTimes(1);
  });

  it('asks Telegram to resend an update whose first delivery is still being handled, instead of dropping it', async () => {
    // Prepare: the first delivery is mid-download
    const { webhook, ledger } = deps(async () => undefined);
    ledger.rows.set(7, { status: 'processing', attempts: 1 });

    // Act
    const resent = await handleWebhookRequest(request('s3cret'), webhook);

    // Assess
    expect([resent.statusCode, resent.body]).toEqual([429, 'in progress']);
    expect(ledger.rows.get(7)).toEqual({ status: 'processing', attempts: 1 });
  });

  it('handles one update of a chat at a time: the next waits for the chat, then goes on', async () => {
    // Prepare: another update holds chat 55 for three polls
    const order: string[] = [];
    const { webhook, ledger, slept } = deps(async () => {
      order.push('dispatched');
    });
    ledger.chats.set(55, 'update:6');
    let polls = 0;
    const lockChat = ledger.lockChat.bind(ledger);
    ledger.lockChat = async (chatId, holder) => {
      polls += 1;
      if (polls === 3) ledger.chats.delete(chatId);
      return lockChat(chatId, holder);
    };

    // Act
    const response = await handleWebhookRequest(request('s3cret'), webhook);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(slept).toEqual([CHAT_WAIT_STEP_MS, CHAT_WAIT_STEP_MS]);
    expect(order).toEqual(['dispatched']);
    expect(ledger.chats.has(55)).toBe(false);
  });

  it('gives up waiting for a busy chat within its time and lets Telegram resend', async () => {
    // Prepare
    const dispatch = jest.fn(async () => undefined);
    const { webhook, ledger, slept } = deps(dispatch);
    ledger.chats.set(55, 'update:6');

    // Act
    const response = await handleWebhookRequest(request('s3cret'), webhook);

    // Assess
    expect(response.statusCode).toBe(500);
    expect(dispatch).not.toHaveBeenCalled();
    expect(slept.reduce((sum, ms) => sum + ms, 0)).toBe(CHAT_WAIT_MS);
    expect(ledger.rows.get(7)).toEqual({ status: 'failed', attempts: 1 });
    expect(ledger.chats.get(55)).toBe('update:6');
  });
});
