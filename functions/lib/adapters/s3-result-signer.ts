import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { DownloadSigner, PresignedPost, UploadSigner } from '../api/ports';
import type { S3Ref } from '../contracts/common';

/**
 * Signs browser uploads (POST policy) and downloads (GET) with the function's own
 * credentials. Signing is local computation; only `listKeys` talks to S3. Listing a job's
 * prefix (s3:ListBucket with s3:prefix jobs/…) tells missing files apart with one request,
 * where a HEAD of a missing file would answer 403 to a role that may only list that prefix.
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

  async listKeys(prefix: S3Ref): Promise<string[]> {
    const page = await this.s3.send(
      new ListObjectsV2Command({ Bucket: prefix.bucket, Prefix: prefix.key, MaxKeys: 1000 }),
    );
    return (page.Contents ?? []).flatMap((object) => (object.Key ? [object.Key] : []));
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
