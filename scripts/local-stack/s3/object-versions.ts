/**
 * ListObjectVersions for s3rver, which keeps one copy per key and answers `GET /bucket?versions`
 * with 405. Real S3 lists an unversioned bucket's objects as versions with the id "null", and
 * deletes them with DeleteObject?versionId=null: this middleware answers the same way, so code
 * that purges every version (a contributor's withdrawal) runs unchanged against the local stack.
 * It answers only after s3rver's own authentication passed (the 405 comes later in its chain).
 */
interface KoaContext {
  method: string;
  query: Record<string, string | string[] | undefined>;
  params?: { bucket?: string };
  path: string;
  status: number;
  type: string;
  body: unknown;
  store: {
    listObjects(
      bucket: string,
      options: { prefix?: string; startAfter?: string; maxKeys?: number },
    ): Promise<{
      objects: Array<{ key: string; size: number; lastModifiedDate: Date; metadata: Record<string, string> }>;
      isTruncated: boolean;
    }>;
  };
}
type Middleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;

/** The part of an s3rver (a Koa app) this needs; other code may type the stack's context its own way. */
export interface KoaApp {
  middleware: Array<(ctx: never, next: () => Promise<void>) => Promise<void>>;
}

const XML_ENTITIES: Record<string, string> = { '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' };
const escapeXml = (text: string) => text.replace(/[<>&'"]/g, (char) => XML_ENTITIES[char] ?? char);
const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

export function listObjectVersionsMiddleware(): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      const code = (error as { code?: string }).code;
      const bucket = /^\/([^/]+)\/?$/.exec(ctx.path)?.[1];
      if (code !== 'MethodNotAllowed' || ctx.method !== 'GET' || !('versions' in ctx.query) || !bucket) throw error;
      const prefix = first(ctx.query.prefix) ?? '';
      const startAfter = first(ctx.query['key-marker']) || undefined;
      const maxKeys = Math.min(1000, Number(first(ctx.query['max-keys']) ?? 1000) || 1000);
      const { objects, isTruncated } = await ctx.store.listObjects(bucket, { prefix, startAfter, maxKeys });
      const versions = objects
        .map(
          (object) =>
            `<Version><Key>${escapeXml(object.key)}</Key><VersionId>null</VersionId><IsLatest>true</IsLatest>` +
            `<LastModified>${object.lastModifiedDate.toISOString()}</LastModified>` +
            `<ETag>${escapeXml(object.metadata.etag ?? '')}</ETag><Size>${object.size}</Size>` +
            `<StorageClass>STANDARD</StorageClass></Version>`,
        )
        .join('');
      const last = objects.at(-1)?.key;
      ctx.status = 200;
      ctx.type = 'application/xml';
      ctx.body =
        '<?xml version="1.0" encoding="UTF-8"?>\n' +
        `<ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${escapeXml(bucket)}</Name>` +
        `<Prefix>${escapeXml(prefix)}</Prefix><KeyMarker>${escapeXml(startAfter ?? '')}</KeyMarker>` +
        `<VersionIdMarker></VersionIdMarker><MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${isTruncated}</IsTruncated>` +
        (isTruncated && last
          ? `<NextKeyMarker>${escapeXml(last)}</NextKeyMarker><NextVersionIdMarker>null</NextVersionIdMarker>`
          : '') +
        `${versions}</ListVersionsResult>`;
    }
  };
}

/** Puts the middleware first, so it sees errors from s3rver's router; call before run(). */
export function addObjectVersionsListing(app: KoaApp): void {
  app.middleware.unshift(listObjectVersionsMiddleware());
}
