import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { JobFiles } from '../edits/export-captions';

const isNotFound = (error: unknown) => error instanceof Error && ['NoSuchKey', 'NotFound'].includes(error.name);

/** A job's documents under jobs/<jobId>/ in the processed bucket, read as text. */
export class S3JobFiles implements JobFiles {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async read(jobId: string, file: string): Promise<string | undefined> {
    try {
      const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: `jobs/${jobId}/${file}` }));
      return (await object.Body?.transformToString('utf8')) ?? '';
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }
}
