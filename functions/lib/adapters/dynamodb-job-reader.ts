import { GetItemCommand, QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import * as z from 'zod';
import { InvalidCursorError, type JobPage, type JobReader } from '../api/ports';
import type { JobRecord } from '../contracts/job';

/**
 * Reads job rows for the API, and nothing else: kept apart from DynamoDbJobRepository so
 * the API's bundle (and so its IAM role) holds no write calls. The index names repeat
 * that file's RECENT_JOBS_* and OWNER_JOBS_INDEX constants; a unit test holds them equal.
 */
export const RECENT_INDEX = 'recent';
export const RECENT_PARTITION = 'JOB';
export const OWNER_INDEX = 'by-owner';

const recentCursorSchema = z.strictObject({
  jobId: z.string().min(1),
  createdAt: z.string().min(1),
  listPk: z.literal(RECENT_PARTITION),
});
const ownerCursorSchema = z.strictObject({
  jobId: z.string().min(1),
  createdAt: z.string().min(1),
  owner: z.string().min(1),
});

export function encodeCursor(lastKey: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(lastKey)).toString('base64url');
}

export function decodeCursor<S extends z.ZodType>(
  cursor: string,
  schema: S = recentCursorSchema as unknown as S,
): z.infer<S> {
  try {
    return schema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch (error) {
    throw new InvalidCursorError('The cursor is not one this API issued.', { cause: error });
  }
}

function toJob(item: Record<string, unknown>): JobRecord {
  const { listPk: _listPk, ...job } = item as unknown as JobRecord & { listPk?: string };
  return job;
}

export class DynamoDbJobReader implements JobReader {
  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async get(jobId: string): Promise<JobRecord | undefined> {
    const { Item } = await this.dynamodb.send(
      new GetItemCommand({ TableName: this.tableName, Key: marshall({ jobId }), ConsistentRead: true }),
    );
    return Item ? toJob(unmarshall(Item)) : undefined;
  }

  listRecent(limit: number, cursor?: string): Promise<JobPage> {
    return this.query(
      {
        IndexName: RECENT_INDEX,
        KeyConditionExpression: 'listPk = :all',
        ExpressionAttributeValues: marshall({ ':all': RECENT_PARTITION }),
      },
      limit,
      cursor ? decodeCursor(cursor, recentCursorSchema) : undefined,
    );
  }

  listOwned(owner: string, limit: number, cursor?: string): Promise<JobPage> {
    const start = cursor ? decodeCursor(cursor, ownerCursorSchema) : undefined;
    if (start && start.owner !== owner) throw new InvalidCursorError('The cursor belongs to another caller.');
    return this.query(
      {
        IndexName: OWNER_INDEX,
        // OWNER is a DynamoDB reserved word.
        KeyConditionExpression: '#owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: marshall({ ':owner': owner }),
      },
      limit,
      start,
    );
  }

  private async query(
    index: Pick<
      ConstructorParameters<typeof QueryCommand>[0],
      'IndexName' | 'KeyConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
    >,
    limit: number,
    start: Record<string, unknown> | undefined,
  ): Promise<JobPage> {
    const { Items = [], LastEvaluatedKey } = await this.dynamodb.send(
      new QueryCommand({
        TableName: this.tableName,
        ...index,
        ScanIndexForward: false,
        Limit: limit,
        ...(start ? { ExclusiveStartKey: marshall(start) } : {}),
      }),
    );
    return {
      jobs: Items.map((item) => toJob(unmarshall(item))),
      ...(LastEvaluatedKey ? { nextCursor: encodeCursor(unmarshall(LastEvaluatedKey)) } : {}),
    };
  }
}
