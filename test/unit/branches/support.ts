import { readFileSync } from 'node:fs';
import path from 'node:path';
import { UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Context } from 'aws-lambda';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import type { StageRecord } from '../../../functions/lib/contracts/job';
import type { BranchTaskInput } from '../../../functions/lib/contracts/pipeline';
import { REPO_ROOT } from '../../support/paths';

/** Environment every branch handler test shares; set before the handler module loads. */
export function setBranchEnv(extra: Record<string, string> = {}): void {
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    JOBS_TABLE: 'gorggle-jobs',
    PROCESSED_BUCKET: 'gorggle-processed',
    POLL_INTERVAL_SECONDS: '7',
    ...extra,
  });
}

export const lambdaContext = (functionName: string) =>
  ({
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
    getRemainingTimeInMillis: () => 30_000,
  }) as unknown as Context;

export function sampleEvent<T extends BranchTaskInput = BranchTaskInput>(fn: string, name: string): T {
  return JSON.parse(readFileSync(path.join(REPO_ROOT, 'events', fn, name), 'utf8')) as T;
}

/** The stage records written to the jobs table, in order, with the stage they went to. */
export function stageUpdates(
  dynamodb: AwsClientStub<DynamoDBClient>,
): Array<{ jobId: string; stage: string; record: StageRecord }> {
  return dynamodb
    .commandCalls(UpdateItemCommand)
    .filter((call) => (call.args[0].input as UpdateItemCommand['input']).ExpressionAttributeNames?.['#stage'])
    .map((call) => {
      const input = call.args[0].input as UpdateItemCommand['input'];
      const values = unmarshall(input.ExpressionAttributeValues!);
      return {
        jobId: unmarshall(input.Key!).jobId as string,
        stage: input.ExpressionAttributeNames!['#stage']!,
        record: values[':record'] as StageRecord,
      };
    });
}
