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
import { toS3NotificationRecord, type S3NotificationRecord, type S3rverEventRecord } from './notifications';

export interface S3ServerOptions {
  host: string;
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

/** The part of s3rver 3.7 used here (it ships no types; loaded with require so no ambient declaration is needed). */
interface S3rverInstance extends EventEmitter {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  store: { getMetadata(bucket: string, key: string): Promise<Record<string, string>> };
  httpServer?: Server;
}
type S3rverConstructor = new (options: {
  address: string;
  port: number;
  directory: string;
  silent: boolean;
  vhostBuckets: boolean;
  allowMismatchedSignatures: boolean;
  configureBuckets: Array<{ name: string; configs: string[] }>;
}) => S3rverInstance;

const S3rver = createRequire(import.meta.url)('s3rver') as S3rverConstructor;

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
