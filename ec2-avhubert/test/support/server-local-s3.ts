import { startLocalS3 as startS3rver, S3RVER_CREDENTIALS } from '../../../test/support/local-s3';

/**
 * The shared s3rver, plus its credentials and region in this process's environment, so
 * clients the server creates afterwards (from the default provider chain) can sign to it.
 */
export async function startLocalS3(buckets: string[]) {
  const s3 = await startS3rver(buckets);
  process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;
  process.env.AWS_REGION ??= 'us-east-1';
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  return s3;
}
