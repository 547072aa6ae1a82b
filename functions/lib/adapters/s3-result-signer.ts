import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { DownloadSigner, PresignedPost, UploadSigner } from '../api/ports';
import type { S3Ref } from '../contracts/common';

const isNotFound = (error: unknown) =>
  error instanceof Error && ['NotFound', 'NoSuchKey', 'NoSuchBucket'].includes(error.name);

/**
 * Signs browser uploads (POST policy) and downloads (GET) with the function's own
 * credentials. Signing is local computation; only `exists` talks to S3.
 */
export class S3UrlSigner implements UploadSigner, DownloadSigner {
  constructor(private readonly s3: S3Client) {}

  async presignPost(request: Parameters<UploadSigner['presignPost']>[0]): Promise<PresignedPost> {
    const { url, fields } = await createPresignedPost(this.s3, {
      Bucket: request.target.bucket,
      Key: request.target.key,
      Fields: request.fields,
      Conditions: request.conditions,
      Expires: request.expiresInSeconds,
    });
    return { url, fields };
  }

  async exists(ref: S3Ref): Promise<boolean> {
    try {
      await this.s3.send(new HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  async presignGet(ref: S3Ref, options: { expiresInSeconds: number; downloadAs?: string }): Promise<string> {
    return getSignedUrl(
      this.s3,
      new GetObjectCommand({
        Bucket: ref.bucket,
        Key: ref.key,
        ...(options.downloadAs ? { ResponseContentDisposition: attachment(options.downloadAs) } : {}),
      }),
      { expiresIn: options.expiresInSeconds },
    );
  }
}

/** RFC 6266: an ASCII fallback name plus the exact UTF-8 one. */
export function attachment(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}
