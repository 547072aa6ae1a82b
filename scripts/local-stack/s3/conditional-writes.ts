/**
 * S3's conditional writes for s3rver, which has none: a PUT with `If-None-Match: *` fails
 * with 412 PreconditionFailed when the key exists, as in S3. Writes of one key are taken one
 * at a time while such a PUT is checked and stored, so two racing creates of the same key
 * cannot both succeed (caption edits rely on it: jobs/<jobId>/edits/v<N>.json).
 */
import { createRequire } from 'node:module';

/** Koa's context, as far as this check reads it. */
export interface KoaContext {
  method: string;
  path: string;
  get(header: string): string;
}
export type KoaMiddleware = (context: KoaContext, next: () => Promise<void>) => Promise<void>;

export interface ObjectExistence {
  existsObject(bucket: string, key: string): Promise<boolean>;
}

type S3ErrorConstructor = new (code: string, message: string, detail?: Record<string, string>) => Error;
const S3Error = createRequire(import.meta.url)('s3rver/lib/models/error') as S3ErrorConstructor;

/** Path-style only ("/bucket/key"), as the local stack runs s3rver. */
function bucketAndKey(path: string): { bucket: string; key: string } | undefined {
  const [, bucket = '', ...keyParts] = path.split('/');
  const key = keyParts.join('/');
  return bucket && key ? { bucket: decodeURIComponent(bucket), key: decodeURIComponent(key) } : undefined;
}

export function conditionalWrites(store: ObjectExistence): KoaMiddleware {
  const queues = new Map<string, Promise<unknown>>();
  return async (context, next) => {
    const target = context.method === 'PUT' ? bucketAndKey(context.path) : undefined;
    const condition = context.get('if-none-match');
    if (!target || !condition) return next();
    if (condition.trim() !== '*') {
      throw new S3Error('NotImplemented', 'A header you provided implies functionality that is not implemented', {
        Header: 'If-None-Match',
      });
    }
    const id = `${target.bucket}/${target.key}`;
    const before = queues.get(id) ?? Promise.resolve();
    let release: (value: unknown) => void = () => undefined;
    const mine = new Promise((resolve) => {
      release = resolve;
    });
    const chain = before.then(() => mine);
    queues.set(id, chain);
    await before;
    try {
      if (await store.existsObject(target.bucket, target.key)) {
        throw new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', {
          Condition: 'If-None-Match',
        });
      }
      await next();
    } finally {
      release(undefined);
      if (queues.get(id) === chain) queues.delete(id);
    }
  };
}
