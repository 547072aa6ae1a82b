import { UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { ErrorInfo } from '../contracts/common';
import type { JobStatus, JobSummary, StageRecord } from '../contracts/job';
import type { Stage } from '../contracts/pipeline';
import type { Clock, JobRepository } from '../ports';
import { systemClock } from '../ports';

/** Partition key of the `recent` GSI: every job, sorted by createdAt. */
export const RECENT_JOBS_PARTITION = 'JOB';
export const RECENT_JOBS_INDEX = 'recent';
/** GSI of one owner's jobs (owner, createdAt); rows without an owner stay out of it. */
export const OWNER_JOBS_INDEX = 'by-owner';

export const marshallOptions = { removeUndefinedValues: true, convertClassInstanceToMap: false };

export const isConditionFailure = (error: unknown) =>
  error instanceof Error && error.name === 'ConditionalCheckFailedException';

/**
 * Updates existing job rows, and nothing else: the pipeline tasks' bundles hold only
 * UpdateItem, so their roles need nothing more (DynamoDbJobRegistry adds creating and reading).
 */
export class DynamoDbJobRepository implements JobRepository {
  constructor(
    protected readonly dynamodb: DynamoDBClient,
    protected readonly tableName: string,
    protected readonly clock: Clock = systemClock,
  ) {}

  async setExecution(jobId: string, executionArn: string): Promise<void> {
    try {
      await this.update(
        jobId,
        'SET executionArn = :arn, #status = :running, updatedAt = :now',
        { ':arn': executionArn, ':running': 'RUNNING' satisfies JobStatus, ':queued': 'QUEUED' satisfies JobStatus },
        {},
        '#status = :queued',
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // The job moved on (or ended) before this, possibly late, delivery: keep its status, and
      // only fill in the execution if nothing recorded it yet.
      await this.update(
        jobId,
        'SET executionArn = :arn',
        { ':arn': executionArn },
        {},
        'attribute_not_exists(executionArn)',
      ).catch((second: unknown) => {
        if (!isConditionFailure(second)) throw second;
      });
    }
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

  async fail(jobId: string, error: ErrorInfo): Promise<boolean> {
    try {
      await this.update(
        jobId,
        'SET #status = :failed, #error = :error, updatedAt = :now',
        {
          ':failed': 'FAILED' satisfies JobStatus,
          ':error': error,
          ':completed': 'COMPLETED' satisfies JobStatus,
          ':degraded': 'DEGRADED' satisfies JobStatus,
        },
        { '#error': 'error' },
        'NOT #status IN (:completed, :degraded, :failed)',
      );
      return true;
    } catch (caught) {
      if (isConditionFailure(caught)) return false;
      throw caught;
    }
  }

  /** Every update requires the row to exist, so a stray event cannot create half a job. */
  protected async update(
    jobId: string,
    expression: string,
    values: Record<string, unknown>,
    names: Record<string, string> = {},
    condition?: string,
  ): Promise<void> {
    const conditionExpression = condition ? `attribute_exists(jobId) AND ${condition}` : 'attribute_exists(jobId)';
    const usesStatus = expression.includes('#status') || conditionExpression.includes('#status');
    const attributeNames = { ...names, ...(usesStatus ? { '#status': 'status' } : {}) };
    const allValues = expression.includes(':now') ? { ...values, ':now': this.clock.now().toISOString() } : values;
    await this.dynamodb.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall({ jobId }),
        UpdateExpression: expression,
        ConditionExpression: conditionExpression,
        // DynamoDB rejects an empty names map.
        ExpressionAttributeNames: Object.keys(attributeNames).length ? attributeNames : undefined,
        ExpressionAttributeValues: marshall(allValues, marshallOptions),
      }),
    );
  }
}
