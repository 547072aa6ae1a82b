import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';

/**
 * s3rver on 127.0.0.1 at a free port, storing in a temp folder. Sets s3rver's own credentials
 * and region in this process so clients created afterwards can sign requests to it.
 */
export async function startLocalS3(buckets: string[]) {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'gorggle-s3rver-'));
  const s3rver = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const { port } = await s3rver.run();
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  process.env.AWS_REGION ??= 'us-east-1';
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async stop() {
      await s3rver.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
