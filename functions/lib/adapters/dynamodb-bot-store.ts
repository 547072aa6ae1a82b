import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { ContributorChangedError } from '../bot/errors';
import type { Contributor, Language, Recording, ReportReason, Sentence } from '../bot/model';
import type {
  ClaimOutcome,
  ContributorStore,
  LedgerClaim,
  RecordingStore,
  SentenceStore,
  StoredContributor,
  UpdateLedger,
} from '../bot/ports';
import type { Clock } from '../ports';
import { DynamoDbSentenceCoverage } from './dynamodb-sentence-coverage';
import { systemClock } from '../ports';

const marshallOptions = { removeUndefinedValues: true, convertClassInstanceToMap: false };
const isConditionFailure = (error: unknown) => (error as Error).name === 'ConditionalCheckFailedException';

/** The recordings table's index by contributor (terraform/bot.tf). */
export const RECORDINGS_BY_USER_INDEX = 'by-user';

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
  private readonly coverage: DynamoDbSentenceCoverage;

  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.coverage = new DynamoDbSentenceCoverage(dynamodb, tableName);
  }

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

  async increment(sentenceId: string, counter: 'skips'): Promise<void> {
    await this.update(sentenceId, {
      UpdateExpression: 'ADD #counter :one',
      ConditionExpression: 'attribute_exists(sentenceId)',
      ExpressionAttributeNames: { '#counter': counter },
      ExpressionAttributeValues: marshall({ ':one': 1 }),
    });
  }

  async report(sentenceId: string, reason: ReportReason, retireAfter: number): Promise<void> {
    const counted = await this.update(sentenceId, {
      UpdateExpression: 'ADD reports :one, #reason :one',
      ConditionExpression: 'attribute_exists(sentenceId)',
      ExpressionAttributeNames: { '#reason': `reports_${reason}` },
      ExpressionAttributeValues: marshall({ ':one': 1 }),
      ReturnValues: 'ALL_NEW',
    });
    const reports = Number(counted?.reports?.N ?? 0);
    if (reports < retireAfter || counted?.active?.BOOL === false) return;
    await this.update(sentenceId, {
      UpdateExpression: 'SET active = :inactive, retiredReason = :reason',
      ConditionExpression: 'attribute_exists(sentenceId)',
      ExpressionAttributeValues: marshall({ ':inactive': false, ':reason': 'reported' }),
    });
  }

  countRecording(sentenceId: string, recordingId: string): Promise<void> {
    return this.coverage.countRecording(sentenceId, recordingId);
  }

  uncountRecording(sentenceId: string, recordingId: string): Promise<void> {
    return this.coverage.uncountRecording(sentenceId, recordingId);
  }

  /** One conditional update; a failed condition (gone, or counted already) changes nothing. */
  private async update(
    sentenceId: string,
    input: Omit<ConstructorParameters<typeof UpdateItemCommand>[0], 'TableName' | 'Key'>,
  ): Promise<Record<string, AttributeValue> | undefined> {
    try {
      const { Attributes } = await this.dynamodb.send(
        new UpdateItemCommand({ TableName: this.tableName, Key: marshall({ sentenceId }), ...input }),
      );
      return Attributes;
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
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

  async claim(recording: Recording): Promise<ClaimOutcome> {
    try {
      await this.dynamodb.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshall(recording, marshallOptions),
          ConditionExpression: 'attribute_not_exists(recordingId)',
        }),
      );
      return { outcome: 'claimed' };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    const existing = await this.get(recording.recordingId);
    return existing?.status === 'stored' ? { outcome: 'duplicate', existing } : { outcome: 'resume' };
  }

  async markStored(recordingId: string, stored: { storedAt: string; jobId: string }): Promise<void> {
    await this.dynamodb.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall({ recordingId }),
        UpdateExpression: 'SET #status = :stored, storedAt = :storedAt, jobId = :jobId',
        ConditionExpression: 'attribute_exists(recordingId)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: marshall({
          ':stored': 'stored',
          ':storedAt': stored.storedAt,
          ':jobId': stored.jobId,
        }),
      }),
    );
  }

  async get(recordingId: string): Promise<Recording | undefined> {
    const { Item } = await this.dynamodb.send(
      new GetItemCommand({ TableName: this.tableName, Key: marshall({ recordingId }), ConsistentRead: true }),
    );
    return Item ? (unmarshall(Item) as Recording) : undefined;
  }

  list(): Promise<Recording[]> {
    return scanAll<Recording>(this.dynamodb, { TableName: this.tableName });
  }

  async listByUser(userId: string): Promise<Recording[]> {
    const items: Recording[] = [];
    let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.dynamodb.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: RECORDINGS_BY_USER_INDEX,
          KeyConditionExpression: 'userId = :userId',
          ExpressionAttributeValues: marshall({ ':userId': userId }),
          ExclusiveStartKey,
        }),
      );
      for (const item of page.Items ?? []) items.push(unmarshall(item) as Recording);
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return items;
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

  async claim(updateId: number, options: { maxAttempts: number; leaseSec: number }): Promise<LedgerClaim> {
    const now = this.clock.now();
    const Key = marshall({ updateKey: `update#${updateId}` });
    try {
      const { Attributes } = await this.dynamodb.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key,
          UpdateExpression:
            'SET #status = :processing, claimedAt = :now, leaseUntil = :lease, expiresAt = :expires ADD attempts :one',
          ConditionExpression:
            'attribute_not_exists(updateKey) OR (attempts < :max AND (#status = :failed OR (#status = :processing AND leaseUntil < :now)))',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: marshall({
            ':processing': 'processing',
            ':failed': 'failed',
            ':now': now.toISOString(),
            ':lease': new Date(now.getTime() + options.leaseSec * 1000).toISOString(),
            ':expires': Math.floor(now.getTime() / 1000) + UPDATE_RETENTION_DAYS * 86_400,
            ':one': 1,
            ':max': options.maxAttempts,
          }),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { state: 'claimed', attempt: Number(Attributes?.attempts?.N ?? 1) };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    const { Item } = await this.dynamodb.send(
      new GetItemCommand({ TableName: this.tableName, Key, ConsistentRead: true }),
    );
    const row = Item ? unmarshall(Item) : undefined;
    const live = row?.status === 'processing' && String(row.leaseUntil ?? '') >= now.toISOString();
    return live ? { state: 'in-progress' } : { state: 'done' };
  }

  async lockChat(chatId: number, holder: string, leaseSec: number): Promise<boolean> {
    const now = this.clock.now();
    try {
      await this.dynamodb.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshall({
            updateKey: `chat#${chatId}`,
            holder,
            leaseUntil: new Date(now.getTime() + leaseSec * 1000).toISOString(),
            expiresAt: Math.floor(now.getTime() / 1000) + 86_400,
          }),
          ConditionExpression: 'attribute_not_exists(updateKey) OR leaseUntil < :now OR holder = :holder',
          ExpressionAttributeValues: marshall({ ':now': now.toISOString(), ':holder': holder }),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async unlockChat(chatId: number, holder: string): Promise<void> {
    try {
      await this.dynamodb.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: marshall({ updateKey: `chat#${chatId}` }),
          ConditionExpression: 'holder = :holder',
          ExpressionAttributeValues: marshall({ ':holder': holder }),
        }),
      );
    } catch (error) {
      // Taken over after our lease ran out: it is no longer ours to release.
      if (!isConditionFailure(error)) throw error;
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
