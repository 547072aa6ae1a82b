import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { StoredObject, VideoStore } from '../bot/ports';
import { purgePrefix } from './s3-purge';

/**
 * One part larger than Telegram's 20 MB download limit: every upload is a single streamed
 * PutObject, never a multipart upload that could be left half-done.
 */
const PART_SIZE_BYTES = 21 * 1024 * 1024;

export class S3VideoStore implements VideoStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async upload(request: {
    key: string;
    body: Readable;
    contentType: string;
    metadata: Record<string, string>;
  }): Promise<StoredObject> {
    const output = await new Upload({
      client: this.s3,
      partSize: PART_SIZE_BYTES,
      queueSize: 1,
      params: {
        Bucket: this.bucket,
        Key: request.key,
        Body: request.body,
        ContentType: request.contentType,
        Metadata: request.metadata,
      },
    }).done();
    // The event S3 sends carries the ETag without quotes; start-pipeline derives the job id from it.
    const etag = (output.ETag ?? '').replaceAll('"', '');
    return { etag, ...(output.VersionId ? { versionId: output.VersionId } : {}) };
  }

  purge(prefix: string): Promise<number> {
    return purgePrefix(this.s3, this.bucket, prefix);
  }
}
