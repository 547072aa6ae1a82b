import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import {
  conditionalWrites,
  type KoaMiddleware,
  type ObjectExistence,
} from '../../scripts/local-stack/s3/conditional-writes';
import { addObjectVersionsListing, type KoaApp } from '../../scripts/local-stack/s3/object-versions';

/** s3rver checks signatures against its own fixed key pair. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** s3rver on a free loopback port in a temp folder, with the buckets made, and a client for it. */
export async function startLocalS3(buckets: string[]) {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'gorggle-s3rver-'));
  const s3rver = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  // S3's conditional writes, as the local stack's S3 has them.
  const internals = s3rver as unknown as { store: ObjectExistence; middleware: KoaMiddleware[] };
  internals.middleware.splice(3, 0, conditionalWrites(internals.store));
  addObjectVersionsListing(s3rver as unknown as KoaApp);
  const { port } = await s3rver.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    credentials: S3RVER_CREDENTIALS,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    endpoint,
    client,
    async stop() {
      client.destroy();
      await s3rver.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
