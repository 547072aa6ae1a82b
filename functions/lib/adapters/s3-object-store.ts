import { createWriteStream } from 'node:fs';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { S3Ref } from '../contracts/common';
import { SourceObjectMissingError } from '../errors';
import type { ObjectHead, ObjectStore, VersionedRef } from '../ports';
import { isNotFound } from './s3-errors';

const versionOf = (ref: VersionedRef) => (ref.versionId ? { VersionId: ref.versionId } : {});

export class S3ObjectStore implements ObjectStore {
  constructor(private readonly s3: S3Client) {}

  async head(ref: VersionedRef): Promise<ObjectHead | undefined> {
    try {
      const head = await this.s3.send(new HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key, ...versionOf(ref) }));
      return {
        size: head.ContentLength ?? 0,
        etag: (head.ETag ?? '').replaceAll('"', ''),
        versionId: head.VersionId,
        contentType: head.ContentType,
        metadata: head.Metadata ?? {},
      };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async getStream(ref: VersionedRef): Promise<Readable> {
    try {
      const object = await this.s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, ...versionOf(ref) }));
      return object.Body as Readable;
    } catch (error) {
      if (isNotFound(error)) {
        throw new SourceObjectMissingError(
          `${ref.key.slice(ref.key.lastIndexOf('/') + 1)} is no longer stored (s3://${ref.bucket}/${ref.key} was deleted or has expired). Upload the file again.`,
          { cause: error },
        );
      }
      throw error;
    }
  }

  async download(ref: VersionedRef, filePath: string): Promise<void> {
    await pipeline(await this.getStream(ref), createWriteStream(filePath));
  }

  async uploadFile(ref: S3Ref, filePath: string, contentType: string): Promise<void> {
    // A sized stream goes up in one PutObject; files here stay far below the 5 GB limit.
    const { size } = await stat(filePath);
    await this.s3.send(
      new PutObjectCommand({
        Bucket: ref.bucket,
        Key: ref.key,
        Body: createReadStream(filePath),
        ContentLength: size,
        ContentType: contentType,
      }),
    );
  }

  async putText(ref: S3Ref, body: string, contentType: string): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({ Bucket: ref.bucket, Key: ref.key, Body: body, ContentType: contentType }),
    );
  }

  async getText(ref: S3Ref): Promise<string> {
    const stream = await this.getStream(ref);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
    return Buffer.concat(chunks).toString('utf8');
  }
}
