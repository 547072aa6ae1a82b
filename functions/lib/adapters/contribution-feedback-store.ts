import { GetItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { Recording, RecordingQuality } from '../bot/model';
import type { RecordingQualityStore } from '../bot/ports';
import type { JobRecord } from '../contracts/job';
import { isNotFound } from './s3-errors';

/** Only what the quality check reads and writes, so its role needs no more. */

export class DynamoDbJobReader {
  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async get(jobId: string): Promise<JobRecord | undefined> {
    const { Item } = await this.dynamodb.send(
      new GetItemCommand({ TableName: this.tableName, Key: marshall({ jobId }), ConsistentRead: true }),
    );
    return Item ? (unmarshall(Item) as JobRecord) : undefined;
  }
}

export class DynamoDbRecordingQualityStore implements RecordingQualityStore {
  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async get(recordingId: string): Promise<Recording | undefined> {
    const { Item } = await this.dynamodb.send(
      new GetItemCommand({ TableName: this.tableName, Key: marshall({ recordingId }), ConsistentRead: true }),
    );
    return Item ? (unmarshall(Item) as Recording) : undefined;
  }

  async setQuality(recordingId: string, quality: RecordingQuality): Promise<boolean> {
    try {
      await this.dynamodb.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall({ recordingId }),
          UpdateExpression: 'SET quality = :quality',
          ConditionExpression:
            'attribute_exists(recordingId) AND (attribute_not_exists(quality) OR quality.jobId <> :jobId OR attribute_not_exists(quality.notifiedAt))',
          ExpressionAttributeValues: marshall(
            { ':quality': quality, ':jobId': quality.jobId },
            { removeUndefinedValues: true },
          ),
        }),
      );
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  async markNotified(recordingId: string, jobId: string, at: Date): Promise<void> {
    await this.dynamodb.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall({ recordingId }),
        UpdateExpression: 'SET quality.notifiedAt = :at',
        ConditionExpression: 'quality.jobId = :jobId',
        ExpressionAttributeValues: marshall({ ':at': at.toISOString(), ':jobId': jobId }),
      }),
    );
  }
}

/**
 * Reads jobs/<jobId>/<file> from the processed bucket; undefined when it is absent (the role
 * holds s3:ListBucket, so S3 says 404 rather than 403 for a file the pipeline never wrote).
 */
export function jobFileReader(s3: S3Client, bucket: string) {
  return async (jobId: string, file: string): Promise<string | undefined> => {
    try {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `jobs/${jobId}/${file}` }));
      return await object.Body?.transformToString('utf8');
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  };
}
