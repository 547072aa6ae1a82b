import { S3Client } from '@aws-sdk/client-s3';
import { S3ObjectStore } from '../../../functions/lib/adapters/s3-object-store';

/**
 * S3 through the instance role. AWS_ENDPOINT_URL_S3 (the SDK's own variable) points it at
 * a local emulator, which needs path-style addressing and checksums only when required,
 * or streamed bodies are corrupted.
 */
export function createObjectStore(endpoint = process.env.AWS_ENDPOINT_URL_S3): S3ObjectStore {
  const client = new S3Client({
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return new S3ObjectStore(client);
}
