import { GetItemCommand, QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import * as z from 'zod';
import { InvalidCursorError, type JobPage, type JobReader } from '../api/ports';
import type { JobRecord } from '../contracts/job';

/**
 * Reads job rows for the API, and nothing else: kept apart from DynamoDbJobRepository so
 * the API's bundle (and so its IAM role) holds no write calls. The index names repeat
 * that file's RECENT_JOBS_* constants; a unit test holds them equal.
 */
export const RECENT_INDEX = 'recent';
export const RECENT_PARTITION = 'JOB';

const cursorSchema = z.strictObject({
  jobId: z.string().min(1),
  createdAt: z.string().min(1),
  listPk: z.literal(RECENT_PARTITION),
});

export function encodeCursor(lastKey: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(lastKey)).toString('base64url');
}

export function decodeCursor(cursor: string): z.infer<typeof cursorSchema> {
  try {
    return cursorSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
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

  async listRecent(limit: number, cursor?: string): Promise<JobPage> {
    const { Items = [], LastEvaluatedKey } = await this.dynamodb.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: RECENT_INDEX,
        KeyConditionExpression: 'listPk = :all',
        ExpressionAttributeValues: marshall({ ':all': RECENT_PARTITION }),
        ScanIndexForward: false,
        Limit: limit,
        ...(cursor ? { ExclusiveStartKey: marshall(decodeCursor(cursor)) } : {}),
      }),
    );
    return {
      jobs: Items.map((item) => toJob(unmarshall(item))),
      ...(LastEvaluatedKey ? { nextCursor: encodeCursor(unmarshall(LastEvaluatedKey)) } : {}),
    };
  }
}
