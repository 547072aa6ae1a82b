import { UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';

/**
 * A sentence's coverage: `recordings` counts the ids in its `recordedBy` set, and each
 * change is conditional on the set, so counting a take twice or uncounting it twice is a no-op.
 * Its own module so contribution-feedback's bundle carries only this, not the bot's store.
 */
export class DynamoDbSentenceCoverage {
  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async countRecording(sentenceId: string, recordingId: string): Promise<void> {
    await this.conditionally(
      'ADD recordings :delta, recordedBy :ids',
      'attribute_exists(sentenceId) AND NOT contains(recordedBy, :id)',
      sentenceId,
      recordingId,
      1,
    );
  }

  async uncountRecording(sentenceId: string, recordingId: string): Promise<void> {
    await this.conditionally(
      'ADD recordings :delta DELETE recordedBy :ids',
      'contains(recordedBy, :id)',
      sentenceId,
      recordingId,
      -1,
    );
  }

  private async conditionally(
    update: string,
    condition: string,
    sentenceId: string,
    recordingId: string,
    delta: number,
  ): Promise<void> {
    try {
      await this.dynamodb.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall({ sentenceId }),
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeValues: {
            ':delta': { N: String(delta) },
            ':ids': { SS: [recordingId] },
            ':id': { S: recordingId },
          },
        }),
      );
    } catch (error) {
      // Counted already, never counted, or the sentence is gone: nothing to change.
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    }
  }
}
