import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { ErrorInfo } from '../contracts/common';
import type { JobRecord, JobStatus, JobSummary, StageRecord } from '../contracts/job';
import type { Stage } from '../contracts/pipeline';
import type { Clock, JobRepository } from '../ports';
import { systemClock } from '../ports';

/** Partition key of the `recent` GSI: every job, sorted by createdAt. */
export const RECENT_JOBS_PARTITION = 'JOB';
export const RECENT_JOBS_INDEX = 'recent';

const marshallOptions = { removeUndefinedValues: true, convertClassInstanceToMap: false };

export class DynamoDbJobRepository implements JobRepository {
  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly tableName: string,
    private readonly clock: Clock = systemClock,
  ) {}

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
      if (
        error instanceof ConditionalCheckFailedException ||
        (error as Error).name === 'ConditionalCheckFailedException'
      ) {
        return false;
      }
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

  async setExecution(jobId: string, executionArn: string): Promise<void> {
    await this.update(jobId, 'SET executionArn = :arn, #status = :running, updatedAt = :now', {
      ':arn': executionArn,
      ':running': 'RUNNING' satisfies JobStatus,
    });
  }

  async updateStage(jobId: string, stage: Stage, record: StageRecord): Promise<void> {
    await this.update(
      jobId,
      'SET stages.#stage = :record, updatedAt = :now',
      { ':record': record },
      { '#stage': stage },
    );
  }

  async finish(jobId: string, status: 'COMPLETED' | 'DEGRADED', summary: JobSummary): Promise<void> {
    await this.update(jobId, 'SET #status = :status, summary = :summary, updatedAt = :now', {
      ':status': status,
      ':summary': summary,
    });
  }

  async fail(jobId: string, error: ErrorInfo): Promise<void> {
    await this.update(
      jobId,
      'SET #status = :failed, #error = :error, updatedAt = :now',
      {
        ':failed': 'FAILED' satisfies JobStatus,
        ':error': error,
      },
      { '#error': 'error' },
    );
  }

  /** Every update requires the row to exist, so a stray event cannot create half a job. */
  private async update(
    jobId: string,
    expression: string,
    values: Record<string, unknown>,
    names: Record<string, string> = {},
  ): Promise<void> {
    const attributeNames = { ...names, ...(expression.includes('#status') ? { '#status': 'status' } : {}) };
    await this.dynamodb.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall({ jobId }),
        UpdateExpression: expression,
        ConditionExpression: 'attribute_exists(jobId)',
        // DynamoDB rejects an empty names map.
        ExpressionAttributeNames: Object.keys(attributeNames).length ? attributeNames : undefined,
        ExpressionAttributeValues: marshall({ ...values, ':now': this.clock.now().toISOString() }, marshallOptions),
      }),
    );
  }
}
