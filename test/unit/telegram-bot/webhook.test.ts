import { jest } from '@jest/globals';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { Update } from 'node-telegram-bot-api';
import { DynamoDbUpdateLedger } from '../../../functions/lib/adapters/dynamodb-bot-store';
import { ContributorChangedError } from '../../../functions/lib/bot/errors';
import {
  CHAT_WAIT_MS,
  CHAT_WAIT_STEP_MS,
  LEASE_MARGIN_SECONDS,
  MAX_UPDATE_ATTEMPTS,
  handleWebhookRequest,
  type WebhookDeps,
} from '../../../functions/lib/bot/webhook';
import { startLocalDynamoDb, type LocalDynamoDb } from '../../support/local-dynamodb';

/** The real update ledger on dynalite: its retry and chat-lock rules live in condition expressions. */
let dynamodb: LocalDynamoDb;

beforeAll(async () => {
  dynamodb = await startLocalDynamoDb(['bot_updates']);
});

afterAll(async () => {
  await dynamodb?.stop();
});

let nextUpdateId = 7;
const DEADLINE_SEC = 28;
const LEASE_SEC = DEADLINE_SEC + LEASE_MARGIN_SECONDS;

async function ledgerRow(key: string) {
  const { Item } = await dynamodb.client.send(
    new GetItemCommand({
      TableName: dynamodb.tables.bot_updates,
      Key: marshall({ updateKey: key }),
      ConsistentRead: true,
    }),
  );
  return Item ? unmarshall(Item) : undefined;
}

/** Each test delivers an update of its own, so no test depends on another's ledger rows. */
const updateBody = (updateId: number, chatId: number) =>
  JSON.stringify({
    update_id: updateId,
    message: { message_id: 1, date: 0, chat: { id: chatId, type: 'private' }, text: 'hi' },
  });
const silentLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** `chatId`: tests that hold a chat's lock use a chat of their own. */
function deps(dispatch: (update: Update) => Promise<void>, chatId = 55) {
  const apologies: number[] = [];
  const updateId = nextUpdateId++;
  const ledger = new DynamoDbUpdateLedger(dynamodb.client, dynamodb.tables.bot_updates!);
  const slept: number[] = [];
  const webhook: WebhookDeps = {
    secret: 's3cret',
    ledger,
    deadlineSec: DEADLINE_SEC,
    sleep: async (ms) => {
      slept.push(ms);
    },
    dispatch,
    apologise: async (chatId) => {
      apologies.push(chatId);
    },
    log: silentLog,
  };
  const request = (secret?: string) => ({
    headers: secret ? { 'X-Telegram-Bot-Api-Secret-Token': secret } : {},
    body: updateBody(updateId, chatId),
  });
  return { webhook, apologies, ledger, slept, updateId, request };
}

describe('the webhook', () => {
  it('answers 403 to a missing or wrong secret without dispatching', async () => {
    // Prepare
    const dispatch = jest.fn(async () => undefined);
    const { webhook, request } = deps(dispatch);

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
    const { webhook, apologies, updateId, request } = deps(async () => {
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
    expect(await ledgerRow(`update#${updateId}`)).toMatchObject({ status: 'abandoned', attempts: 3 });
  });

  it('drops an update at once when the failure cannot heal by itself', async () => {
    // Prepare
    const { webhook, apologies, updateId, request } = deps(async () => {
      throw new TypeError('a bug');
    });

    // Act
    const response = await handleWebhookRequest(request('s3cret'), webhook);

    // Assess
    expect([response.statusCode, response.body]).toEqual([200, 'dropped']);
    expect(apologies).toEqual([55]);
    expect(await ledgerRow(`update#${updateId}`)).toMatchObject({ status: 'abandoned', attempts: 1 });
  });

  it('handles an update once and then drops its repeats', async () => {
    // Prepare
    const dispatch = jest.fn(async () => undefined);
    const { webhook, request } = deps(dispatch);

    // Act
    const first = await handleWebhookRequest(request('s3cret'), webhook);
    const again = await handleWebhookRequest(request('s3cret'), webhook);

    // Assess
    expect([first.body, again.body]).toEqual(['ok', 'duplicate']);
    expect(dispatch).toHaveBeenCalledTimes(1);
  });

  it('asks Telegram to resend an update whose first delivery is still being handled, instead of dropping it', async () => {
    // Prepare: the first delivery is mid-download
    const { webhook, ledger, updateId, request } = deps(async () => undefined);
    await ledger.claim(updateId, { maxAttempts: MAX_UPDATE_ATTEMPTS, leaseSec: LEASE_SEC });

    // Act
    const resent = await handleWebhookRequest(request('s3cret'), webhook);

    // Assess
    expect([resent.statusCode, resent.body]).toEqual([429, 'in progress']);
    expect(await ledgerRow(`update#${updateId}`)).toMatchObject({ status: 'processing', attempts: 1 });
  });

  it('handles one update of a chat at a time: the next waits for the chat, then goes on', async () => {
    // Prepare: another update holds chat 56 for three polls
    const order: string[] = [];
    const { webhook, ledger, slept, request } = deps(async () => {
      order.push('dispatched');
    }, 56);
    expect(await ledger.lockChat(56, 'update:6', LEASE_SEC)).toBe(true);
    let polls = 0;
    const lockChat = ledger.lockChat.bind(ledger);
    ledger.lockChat = async (chatId, holder, leaseSec) => {
      polls += 1;
      if (polls === 3) await ledger.unlockChat(chatId, 'update:6');
      return lockChat(chatId, holder, leaseSec);
    };

    // Act
    const response = await handleWebhookRequest(request('s3cret'), webhook);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(slept).toEqual([CHAT_WAIT_STEP_MS, CHAT_WAIT_STEP_MS]);
    expect(order).toEqual(['dispatched']);
    expect(await ledgerRow('chat#56')).toBeUndefined();
  });

  it('gives up waiting for a busy chat within its time and lets Telegram resend', async () => {
    // Prepare
    const dispatch = jest.fn(async () => undefined);
    const { webhook, ledger, slept, updateId, request } = deps(dispatch, 57);
    expect(await ledger.lockChat(57, 'update:6', LEASE_SEC)).toBe(true);

    // Act
    const response = await handleWebhookRequest(request('s3cret'), webhook);

    // Assess
    expect(response.statusCode).toBe(500);
    expect(dispatch).not.toHaveBeenCalled();
    expect(slept.reduce((sum, ms) => sum + ms, 0)).toBe(CHAT_WAIT_MS);
    expect(await ledgerRow(`update#${updateId}`)).toMatchObject({ status: 'failed', attempts: 1 });
    expect(await ledgerRow('chat#57')).toMatchObject({ holder: 'update:6' });
  });
});
