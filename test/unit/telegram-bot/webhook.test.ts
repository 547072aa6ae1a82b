import { jest } from '@jest/globals';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { Update } from 'node-telegram-bot-api';
import { DynamoDbUpdateLedger } from '../../../functions/lib/adapters/dynamodb-bot-store';
import { ContributorChangedError } from '../../../functions/lib/bot/errors';
import { MAX_UPDATE_ATTEMPTS, handleWebhookRequest, type WebhookDeps } from '../../../functions/lib/bot/webhook';
import { startLocalDynamoDb, type LocalDynamoDb } from '../../support/local-dynamodb';

/** The real update ledger on dynalite: its retry rule lives in a condition expression. */
let dynamodb: LocalDynamoDb;

beforeAll(async () => {
  dynamodb = await startLocalDynamoDb(['bot_updates']);
});

afterAll(async () => {
  await dynamodb?.stop();
});

let nextUpdateId = 7;

async function ledgerRow(updateId: number) {
  const { Item } = await dynamodb.client.send(
    new GetItemCommand({
      TableName: dynamodb.tables.bot_updates,
      Key: marshall({ updateKey: `update#${updateId}` }),
      ConsistentRead: true,
    }),
  );
  return Item ? unmarshall(Item) : undefined;
}

/** Each test delivers an update of its own, so no test depends on another's ledger rows. */
const updateBody = (updateId: number) =>
  JSON.stringify({
    update_id: updateId,
    message: { message_id: 1, date: 0, chat: { id: 55, type: 'private' }, text: 'hi' },
  });
const silentLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

function deps(dispatch: (update: Update) => Promise<void>) {
  const apologies: number[] = [];
  const updateId = nextUpdateId++;
  const webhook: WebhookDeps = {
    secret: 's3cret',
    ledger: new DynamoDbUpdateLedger(dynamodb.client, dynamodb.tables.bot_updates!),
    dispatch,
    apologise: async (chatId) => {
      apologies.push(chatId);
    },
    log: silentLog,
  };
  const request = (secret?: string) => ({
    headers: secret ? { 'X-Telegram-Bot-Api-Secret-Token': secret } : {},
    body: updateBody(updateId),
  });
  return { webhook, apologies, updateId, request };
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
    expect(await ledgerRow(updateId)).toMatchObject({ status: 'abandoned', attempts: 3 });
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
    expect(await ledgerRow(updateId)).toMatchObject({ status: 'abandoned', attempts: 1 });
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
});
