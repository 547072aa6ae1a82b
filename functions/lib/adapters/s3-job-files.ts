import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { JobFiles } from '../edits/export-captions';

const isNotFound = (error: unknown) => error instanceof Error && ['NoSuchKey', 'NotFound'].includes(error.name);

/**
 * A job's documents under jobs/<jobId>/ in the processed bucket, read as text. Whether a file
 * exists is asked by listing it first: S3 answers a GET of a missing key with 403, not 404, to
 * a role whose s3:ListBucket is limited to a prefix, as the api function's is.
 */
export class S3JobFiles implements JobFiles {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async read(jobId: string, file: string): Promise<string | undefined> {
    const key = `jobs/${jobId}/${file}`;
    const listed = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: key, MaxKeys: 1 }));
    if (!listed.Contents?.some((object) => object.Key === key)) return undefined;
    try {
      const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return (await object.Body?.transformToString('utf8')) ?? '';
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }
}
