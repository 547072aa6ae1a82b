/**
 * S3 on s3rver, with the stack's buckets created on start and the uploads bucket's
 * ObjectCreated events turned into real S3 notification records for the upload queue.
 */
import type { EventEmitter } from 'node:events';
import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { ComponentLog } from '../logs';
import type { NotificationFilter } from '../terraform-facts';
import { DeleteBucketCorsCommand, PutBucketCorsCommand, S3Client } from '@aws-sdk/client-s3';
import { LOCAL_CREDENTIALS } from '../config';
import { guardLocalServer, keepIdleConnections } from '../http-guard';
import { conditionalWrites } from './conditional-writes';
import { toS3NotificationRecord, type S3NotificationRecord, type S3rverEventRecord } from './notifications';
import { roleOfSessionToken } from '../iam-roles';
import { addObjectVersionsListing, type KoaApp } from './object-versions';

export interface S3ServerOptions {
  host: string;
  /**
   * Answers as AWS does for the role behind a request (its session token names it): a read of
   * a missing key is 403 AccessDenied unless the role may s3:ListBucket on the bucket.
   */
  roles?: { allows(roleName: string, action: string, resource: string): Promise<boolean> };
  port: number;
  directory: string;
  buckets: string[];
  region: string;
  /** The bucket whose notifications Terraform configures, and its filters. */
  notifications?: {
    bucket: string;
    filters: readonly NotificationFilter[];
    deliver: (notification: { Records: S3NotificationRecord[] }) => void;
  };
  log: ComponentLog;
}

export interface RunningS3 {
  url: string;
  port: number;
  /**
   * The web pages (origins) that may call S3 from a browser: CORS on every bucket and the
   * server's own Origin check. None until the local gateway says where its page is.
   */
  allowPageOrigins(origins: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/** Koa's context, as far as the access check reads it. */
interface KoaContext {
  method: string;
  path: string;
  query: Record<string, string | string[] | undefined>;
  get(header: string): string;
}
type KoaMiddleware = (context: KoaContext, next: () => Promise<void>) => Promise<void>;

/** The part of s3rver 3.7 used here (it ships no types; loaded with require so no ambient declaration is needed). */
interface S3rverInstance extends EventEmitter, KoaApp {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  store: {
    getMetadata(bucket: string, key: string): Promise<Record<string, string>>;
    existsObject(bucket: string, key: string): Promise<boolean>;
  };
  httpServer?: Server;
  /** Koa's middleware stack: logger, XML encoder, mount interop, vhost, router. */
  middleware: KoaMiddleware[];
}
type S3ErrorConstructor = new (code: string, message: string) => Error;
type S3rverConstructor = new (options: {
  address: string;
  port: number;
  directory: string;
  silent: boolean;
  vhostBuckets: boolean;
  allowMismatchedSignatures: boolean;
  configureBuckets: Array<{ name: string; configs: string[] }>;
}) => S3rverInstance;

const requireFromHere = createRequire(import.meta.url);
const S3rver = requireFromHere('s3rver') as S3rverConstructor;
const S3Error = requireFromHere('s3rver/lib/models/error') as S3ErrorConstructor;

/**
 * A GET or HEAD of a key that does not exist answers 403 to a role that may not list the
 * bucket, as S3 does (it will not tell such a caller whether the key exists). Requests
 * without a role's session token (tests, the CLI, the service emulators) pass unchecked.
 */
export function missingKeyAccess(
  store: S3rverInstance['store'],
  roles: NonNullable<S3ServerOptions['roles']>,
  roleOf: (token: string | undefined) => string | undefined,
): KoaMiddleware {
  return async (context, next) => {
    if (context.method !== 'GET' && context.method !== 'HEAD') return next();
    const tokenInQuery = context.query['X-Amz-Security-Token'];
    const role = roleOf(
      context.get('x-amz-security-token') || (typeof tokenInQuery === 'string' ? tokenInQuery : undefined),
    );
    const [, bucket = '', ...keyParts] = context.path.split('/');
    const key = keyParts.map(decodeURIComponent).join('/');
    if (!role || !bucket || !key) return next();
    if (await store.existsObject(decodeURIComponent(bucket), key)) return next();
    if (await roles.allows(role, 's3:ListBucket', `arn:aws:s3:::${decodeURIComponent(bucket)}`)) return next();
    throw new S3Error('AccessDenied', 'Access Denied');
  };
}

export async function startS3(options: S3ServerOptions): Promise<RunningS3> {
  await mkdir(options.directory, { recursive: true });
  const server = new S3rver({
    address: options.host,
    port: options.port,
    directory: options.directory,
    silent: true,
    // Path-style only: clients set forcePathStyle, and localhost has no bucket subdomains.
    vhostBuckets: false,
    // Signatures are checked (key pair S3RVER/S3RVER), so a client that signs wrongly fails here too.
    allowMismatchedSignatures: false,
    // CORS comes later, for the gateway's page only (allowPageOrigins).
    configureBuckets: options.buckets.map((name) => ({ name, configs: [] })),
  });
  const internals = server;
  const { log, notifications } = options;
  // Before vhost and the router, after the logger and the XML encoder (index 3), so their errors answer as S3's.
  internals.middleware.splice(3, 0, conditionalWrites(internals.store));
  if (options.roles) {
    internals.middleware.splice(3, 0, missingKeyAccess(internals.store, options.roles, roleOfSessionToken));
  }
  addObjectVersionsListing(server);

  server.on('event', (event: { Records: S3rverEventRecord[] }) => {
    if (!notifications) return;
    for (const raw of event.Records) {
      if (raw.s3.bucket.name !== notifications.bucket) continue;
      toS3NotificationRecord(raw, {
        region: options.region,
        filters: notifications.filters,
        eTagOf: async (bucket, key) =>
          (await internals.store.getMetadata(bucket, key).catch(() => undefined))?.etag?.replace(/"/g, ''),
      })
        .then((record) => {
          if (!record) {
            log.info('event not sent: no notification filter matches', {
              event: raw.eventName,
              key: raw.s3.object.key,
            });
            return;
          }
          log.info('notification', {
            event: record.eventName,
            key: record.s3.object.key,
            filter: record.s3.configurationId,
          });
          notifications.deliver({ Records: [record] });
        })
        .catch((error: unknown) => log.error('could not deliver a notification', { error }));
    }
  });

  const address = await server.run();
  let pageOrigins = new Set<string>();
  if (internals.httpServer) {
    guardLocalServer(internals.httpServer, { name: 'local S3', allowedOrigins: () => pageOrigins });
    // A warm Lambda reuses idle sockets. Closing them after Node's default 5 s races with a new
    // request, and a streamed PutObject cannot be retried: the upload fails with ECONNRESET.
    keepIdleConnections(internals.httpServer);
  }
  internals.httpServer?.on('request', (request, response) => {
    const started = Date.now();
    response.on('finish', () =>
      log.info(`${request.method} ${request.url} ${response.statusCode}`, { ms: Date.now() - started }),
    );
  });
  log.info('s3rver listening', { address, buckets: options.buckets });
  const url = `http://${options.host}:${address.port}`;
  const admin = new S3Client({
    endpoint: url,
    region: options.region,
    forcePathStyle: true,
    credentials: {
      accessKeyId: LOCAL_CREDENTIALS.AWS_ACCESS_KEY_ID,
      secretAccessKey: LOCAL_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
    },
  });
  const allowPageOrigins = async (origins: readonly string[]) => {
    pageOrigins = new Set(origins);
    for (const bucket of options.buckets) {
      // A CORS configuration left in the data folder by an earlier run goes too.
      if (origins.length) {
        await admin.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: localS3CorsRules(origins) }));
      } else {
        await admin.send(new DeleteBucketCorsCommand({ Bucket: bucket }));
      }
    }
    log.info('page origins allowed', { origins });
  };
  try {
    await allowPageOrigins([]);
  } catch (error) {
    await server.close();
    throw error;
  }
  return {
    url,
    port: address.port,
    allowPageOrigins,
    close: async () => {
      admin.destroy();
      internals.httpServer?.closeAllConnections();
      await server.close();
    },
  };
}

/** What the web page needs: upload (form POST, PUT), read results, see ETag. */
export function localS3CorsRules(origins: readonly string[]) {
  return {
    CORSRules: [
      {
        AllowedOrigins: [...origins],
        AllowedMethods: ['GET', 'HEAD', 'POST', 'PUT'],
        AllowedHeaders: ['*'],
        ExposeHeaders: ['ETag'],
        MaxAgeSeconds: 3000,
      },
    ],
  };
}
