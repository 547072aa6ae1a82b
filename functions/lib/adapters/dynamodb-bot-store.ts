import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { ContributorChangedError } from '../bot/errors';
import type { Contributor, Language, Recording, Sentence } from '../bot/model';
import type {
  ContributorStore,
  RecordingStore,
  SentenceCounter,
  SentenceStore,
  StoredContributor,
  UpdateLedger,
} from '../bot/ports';
import type { Clock } from '../ports';
import { systemClock } from '../ports';

const marshallOptions = { removeUndefinedValues: true, convertClassInstanceToMap: false };
const isConditionFailure = (error: unknown) => (error as Error).name === 'ConditionalCheckFailedException';

/** Every page of a scan (the bot's tables are small: sentences, people, recordings). */
async function scanAll<T>(
  dynamodb: DynamoDBClient,
  input: {
    TableName: string;
    FilterExpression?: string;
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues?: Record<string, AttributeValue>;
  },
): Promise<T[]> {
  const items: T[] = [];
  let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await dynamodb.send(new ScanCommand({ ...input, ExclusiveStartKey }));
    for (const item of page.Items ?? []) items.push(unmarshall(item) as T);
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

export class DynamoDbContributorStore implements ContributorStore {
  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async get(userId: string): Promise<StoredContributor | undefined> {
    const { Item } = await this.dynamodb.send(
      new GetItemCommand({ TableName: this.tableName, Key: marshall({ userId }), ConsistentRead: true }),
    );
    if (!Item) return undefined;
    const { version, ...contributor } = unmarshall(Item) as Contributor & { version: number };
    return { contributor, version };
  }

  async save(contributor: Contributor, expectedVersion: number | undefined): Promise<void> {
    try {
      await this.dynamodb.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshall({ ...contributor, version: (expectedVersion ?? 0) + 1 }, marshallOptions),
          ...(expectedVersion === undefined
            ? { ConditionExpression: 'attribute_not_exists(userId)' }
            : {
                ConditionExpression: 'version = :version',
                ExpressionAttributeValues: marshall({ ':version': expectedVersion }),
              }),
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) {
        throw new ContributorChangedError(`Contributor ${contributor.userId} changed during this update.`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  list(): Promise<Contributor[]> {
    return scanAll<Contributor>(this.dynamodb, { TableName: this.tableName });
  }

  async delete(userId: string): Promise<void> {
    await this.dynamodb.send(new DeleteItemCommand({ TableName: this.tableName, Key: marshall({ userId }) }));
  }
}

export class DynamoDbSentenceStore implements SentenceStore {
  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  listActive(language: Language): Promise<Sentence[]> {
    return scanAll<Sentence>(this.dynamodb, {
      TableName: this.tableName,
      FilterExpression: '#language = :language AND active = :active',
      ExpressionAttributeNames: { '#language': 'language' },
      ExpressionAttributeValues: marshall({ ':language': language, ':active': true }),
    });
  }

  list(): Promise<Sentence[]> {
    return scanAll<Sentence>(this.dynamodb, { TableName: this.tableName });
  }

  async addIfAbsent(sentence: Sentence): Promise<boolean> {
    try {
      await this.dynamodb.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshall(sentence, marshallOptions),
          ConditionExpression: 'attribute_not_exists(sentenceId)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async increment(sentenceId: string, counter: SentenceCounter, reason?: string): Promise<void> {
    try {
      await this.dynamodb.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall({ sentenceId }),
          UpdateExpression: reason ? 'ADD #counter :one, #reason :one' : 'ADD #counter :one',
          ConditionExpression: 'attribute_exists(sentenceId)',
          ExpressionAttributeNames: { '#counter': counter, ...(reason ? { '#reason': `reports_${reason}` } : {}) },
          ExpressionAttributeValues: marshall({ ':one': 1 }),
        }),
      );
    } catch (error) {
      // A sentence deleted meanwhile (test data cleared) has nothing left to count.
      if (!isConditionFailure(error)) throw error;
    }
  }

  async delete(sentenceId: string): Promise<void> {
    await this.dynamodb.send(new DeleteItemCommand({ TableName: this.tableName, Key: marshall({ sentenceId }) }));
  }
}

export class DynamoDbRecordingStore implements RecordingStore {
  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async claim(recording: Recording): Promise<'claimed' | 'resume' | 'duplicate'> {
    try {
      await this.dynamodb.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshall(recording, marshallOptions),
          ConditionExpression: 'attribute_not_exists(recordingId)',
        }),
      );
      return 'claimed';
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    const { Item } = await this.dynamodb.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: marshall({ recordingId: recording.recordingId }),
        ConsistentRead: true,
      }),
    );
    return Item && unmarshall(Item).status === 'stored' ? 'duplicate' : 'resume';
  }

  async markStored(recordingId: string, storedAt: string): Promise<void> {
    await this.dynamodb.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall({ recordingId }),
        UpdateExpression: 'SET #status = :stored, storedAt = :storedAt',
        ConditionExpression: 'attribute_exists(recordingId)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: marshall({ ':stored': 'stored', ':storedAt': storedAt }),
      }),
    );
  }

  list(): Promise<Recording[]> {
    return scanAll<Recording>(this.dynamodb, { TableName: this.tableName });
  }

  async delete(recordingId: string): Promise<void> {
    await this.dynamodb.send(new DeleteItemCommand({ TableName: this.tableName, Key: marshall({ recordingId }) }));
  }
}

/** Days a handled update id is remembered (the table's TTL removes it after). */
export const UPDATE_RETENTION_DAYS = 7;

export class DynamoDbUpdateLedger implements UpdateLedger {
  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly tableName: string,
    private readonly clock: Clock = systemClock,
  ) {}

  async claim(updateId: number, options: { maxAttempts: number; staleAfterSec: number }) {
    const now = this.clock.now();
    try {
      const { Attributes } = await this.dynamodb.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall({ updateKey: `update#${updateId}` }),
          UpdateExpression: 'SET #status = :processing, claimedAt = :now, expiresAt = :expires ADD attempts :one',
          ConditionExpression:
            'attribute_not_exists(updateKey) OR (attempts < :max AND (#status = :failed OR (#status = :processing AND claimedAt < :stale)))',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: marshall({
            ':processing': 'processing',
            ':failed': 'failed',
            ':now': now.toISOString(),
            ':stale': new Date(now.getTime() - options.staleAfterSec * 1000).toISOString(),
            ':expires': Math.floor(now.getTime() / 1000) + UPDATE_RETENTION_DAYS * 86_400,
            ':one': 1,
            ':max': options.maxAttempts,
          }),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { attempt: Number(Attributes?.attempts?.N ?? 1) };
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  async settle(updateId: number, status: 'done' | 'failed' | 'abandoned'): Promise<void> {
    await this.dynamodb.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall({ updateKey: `update#${updateId}` }),
        UpdateExpression: 'SET #status = :status',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: marshall({ ':status': status }),
      }),
    );
  }
}
