import { DeleteItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteObjectCommand, ListObjectVersionsCommand, type S3Client } from '@aws-sdk/client-s3';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { JobPurger } from '../bot/ports';

/**
 * Deletes every version and delete marker under `prefix`: in a versioned bucket a plain
 * DeleteObject only hides an object behind a marker, and withdrawal must remove the bytes.
 */
export async function purgePrefix(s3: S3Client, bucket: string, prefix: string): Promise<number> {
  let deleted = 0;
  let KeyMarker: string | undefined;
  let VersionIdMarker: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix, KeyMarker, VersionIdMarker }),
    );
    for (const { Key, VersionId } of [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]) {
      if (!Key) continue;
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key, ...(VersionId ? { VersionId } : {}) }));
      deleted += 1;
    }
    KeyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    VersionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
  } while (KeyMarker);
  return deleted;
}

/** A pipeline job's files under jobs/<jobId>/ in the processed bucket, every version, and its row. */
export class PipelineJobPurger implements JobPurger {
  constructor(
    private readonly s3: S3Client,
    private readonly processedBucket: string,
    private readonly dynamodb: DynamoDBClient,
    private readonly jobsTable: string,
  ) {}

  async purgeJob(jobId: string): Promise<void> {
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(jobId)) throw new Error(`Not a job id: ${jobId}`);
    await purgePrefix(this.s3, this.processedBucket, `jobs/${jobId}/`);
    await this.dynamodb.send(new DeleteItemCommand({ TableName: this.jobsTable, Key: marshall({ jobId }) }));
  }
}
