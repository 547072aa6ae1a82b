import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * One client per bundle, created on first use. Endpoints come from the SDK's own
 * AWS_ENDPOINT_URL_<SERVICE> variables, which is how the local stack is reached.
 */

let s3: S3Client | undefined;
let dynamodb: DynamoDBClient | undefined;

export function s3Client(): S3Client {
  return (s3 ??= new S3Client({
    // Path-style for a local endpoint (s3rver has no virtual hosts); checksums only when
    // required, or streamed uploads are corrupted on emulators.
    forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  }));
}

export function dynamoDbClient(): DynamoDBClient {
  return (dynamodb ??= new DynamoDBClient({}));
}
