import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { JobRecord } from '../contracts/job';
import type { JobRegistry } from '../ports';
import {
  DynamoDbJobRepository,
  RECENT_JOBS_PARTITION,
  isConditionFailure,
  marshallOptions,
} from './dynamodb-job-repository';

/** Creates and reads job rows (start-pipeline): the only role that may put or get them. */
export class DynamoDbJobRegistry extends DynamoDbJobRepository implements JobRegistry {
  async createIfAbsent(job: JobRecord): Promise<boolean> {
    try {
      await this.dynamodb.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshall({ ...job, listPk: RECENT_JOBS_PARTITION }, marshallOptions),
          ConditionExpression: 'attribute_not_exists(jobId)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async get(jobId: string): Promise<JobRecord | undefined> {
    const { Item } = await this.dynamodb.send(
      new GetItemCommand({ TableName: this.tableName, Key: marshall({ jobId }), ConsistentRead: true }),
    );
    if (!Item) return undefined;
    const { listPk: _listPk, ...job } = unmarshall(Item) as JobRecord & { listPk?: string };
    return job;
  }
}
