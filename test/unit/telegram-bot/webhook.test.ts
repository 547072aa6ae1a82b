import { jest } from '@jest/globals';
import type { Update } from 'node-telegram-bot-api';
import { ContributorChangedError } from '../../../functions/lib/bot/errors';
import type { UpdateLedger } from '../../../functions/lib/bot/ports';
import { MAX_UPDATE_ATTEMPTS, handleWebhookRequest, type WebhookDeps } from '../../../functions/lib/bot/webhook';

/** The ledger's rules in memory: a failed update may be claimed again, up to the limit. */
class MemoryLedger implements UpdateLedger {
  readonly rows = new Map<number, { status: string; attempts: number }>();

  async claim(updateId: number, options: { maxAttempts: number }) {
    const row = this.rows.get(updateId);
    if (row && !(row.status === 'failed' && row.attempts < options.maxAttempts)) return undefined;
    const attempts = (row?.attempts ?? 0) + 1;
    this.rows.set(updateId, { status: 'processing', attempts });
    return { attempt: attempts };
  }

  async settle(updateId: number, status: string) {
    this.rows.get(updateId)!.status = status;
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
  const webhook: WebhookDeps = {
    secret: 's3cret',
    ledger,
    dispatch,
    apologise: async (chatId) => {
      apologies.push(chatId);
    },
    log: silentLog,
  };
  return { webhook, apologies, ledger };
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
});
