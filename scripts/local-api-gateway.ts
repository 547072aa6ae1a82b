/**
 * A tiny stand-in for API Gateway (HTTP API, payload 2.0) and CloudFront, for `make local`:
 * it serves the built page from dist/web with a generated config.json, and turns requests
 * under /api into payload 2.0 events for the api function. With a token it also plays the
 * JWT authorizer: requests without `Authorization: Bearer <token>` never reach the function.
 *
 *   const gateway = await startLocalApiGateway({ port: 0, invoke, staticDir, config, token });
 *   console.log(gateway.pageUrl); // opens the page signed in
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { LOCAL_OPERATOR } from '../functions/lib/api/auth';
import { ROUTE_KEYS } from '../functions/lib/api/routes';
import type { WebConfig } from '../web/src/config';
import { guardLocalServer } from './local-stack/http-guard';

/** Where the page calls the API, relative to the page's own origin. */
/** The claims a Cognito access token of the local operator would carry: an admin. */
const LOCAL_OPERATOR_CLAIMS = {
  sub: LOCAL_OPERATOR.subject,
  'cognito:groups': `[${LOCAL_OPERATOR.groups.join(' ')}]`,
  token_use: 'access',
};

export const API_PREFIX = '/api';

export interface LocalApiGatewayOptions {
  /** 0 picks a free port. */
  port: number;
  host?: string;
  /** Runs the api function (e.g. the local Lambda runner with dist/functions/api.zip). Throws when the function fails. */
  invoke: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;
  /** The built page (dist/web). */
  staticDir: string;
  /** config.json without apiUrl and auth, which the gateway fills in. */
  config: Omit<WebConfig, 'apiUrl' | 'auth'> & Partial<Pick<WebConfig, 'apiUrl' | 'auth'>>;
  /** Bearer token every API request must carry; without one the function must check (LOCAL_API_TOKEN). */
  token?: string;
  /** Origins the page may fetch from besides its own (the local S3); goes into the CSP. */
  connectOrigins?: string[];
}

export interface LocalApiGateway {
  url: string;
  apiUrl: string;
  /** The page's URL, with the token in the fragment so the page signs itself in. */
  pageUrl: string;
  /** The origins the page may be opened at (127.0.0.1 and localhost with the port). */
  pageOrigins: string[];
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

interface CompiledRoute {
  routeKey: string;
  method: string;
  pattern: RegExp;
  names: string[];
}

/** "GET /jobs/{id}/result" -> a matcher that captures the path parameters. */
function compileRoute(routeKey: string): CompiledRoute {
  const [method = '', template = ''] = routeKey.split(' ');
  const names: string[] = [];
  const source = template
    .split('/')
    .map((part) => {
      const parameter = /^\{(\w+)\}$/.exec(part);
      if (!parameter) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(parameter[1] ?? '');
      return '([^/]+)';
    })
    .join('/');
  return { routeKey, method, pattern: new RegExp(`^${source}$`), names };
}

const ROUTES = ROUTE_KEYS.map(compileRoute);

export function matchRoute(
  method: string,
  routePath: string,
): { routeKey: string; pathParameters?: Record<string, string> } | undefined {
  for (const route of ROUTES) {
    if (route.method !== method) continue;
    const match = route.pattern.exec(routePath);
    if (!match) continue;
    const values = match.slice(1).map((value) => decodeURIComponent(value));
    if (!route.names.length) return { routeKey: route.routeKey };
    return {
      routeKey: route.routeKey,
      pathParameters: Object.fromEntries(route.names.map((n, i) => [n, values[i] ?? ''])),
    };
  }
  return undefined;
}

/** An API Gateway HTTP API payload 2.0 event for one request, as AWS builds it. */
export function toApiGatewayEvent(input: {
  method: string;
  rawPath: string;
  rawQueryString: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
  sourceIp: string;
  claims?: Record<string, string>;
}): APIGatewayProxyEventV2 & { requestContext: { authorizer?: unknown } } {
  const matched = matchRoute(input.method, input.rawPath);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const query = new URLSearchParams(input.rawQueryString);
  const queryStringParameters: Record<string, string> = {};
  for (const key of new Set(query.keys())) queryStringParameters[key] = query.getAll(key).join(',');
  const now = new Date();
  const routeKey = matched?.routeKey ?? '$default';
  const isText = /json|text|xml|urlencoded/.test(headers['content-type'] ?? '');
  return {
    version: '2.0',
    routeKey,
    rawPath: input.rawPath,
    rawQueryString: input.rawQueryString,
    headers,
    ...(query.size ? { queryStringParameters } : {}),
    ...(matched?.pathParameters ? { pathParameters: matched.pathParameters } : {}),
    ...(input.body.length
      ? { body: isText ? input.body.toString('utf8') : input.body.toString('base64'), isBase64Encoded: !isText }
      : { isBase64Encoded: false }),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method: input.method,
        path: input.rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: input.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
      ...(input.claims ? { authorizer: { jwt: { claims: input.claims, scopes: [] } } } : {}),
    },
  };
}

const bearerMatches = (header: string | undefined, token: string) => {
  const given = Buffer.from(/^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1] ?? '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
};

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

async function readBody(request: IncomingMessage, limit = 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export async function startLocalApiGateway(options: LocalApiGatewayOptions): Promise<LocalApiGateway> {
  const host = options.host ?? '127.0.0.1';
  const staticRoot = path.resolve(options.staticDir);
  let origin = '';
  const config = (): WebConfig => ({
    ...options.config,
    apiUrl: options.config.apiUrl ?? `${origin}${API_PREFIX}`,
    auth: options.config.auth ?? { kind: 'token' },
  });
  const connect = ["'self'", ...(options.connectOrigins ?? [])].join(' ');
  const pageHeaders = {
    'content-security-policy': [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      `img-src 'self' data: ${connect}`,
      `media-src ${connect}`,
      `connect-src ${connect}`,
      "form-action 'self'",
      "frame-ancestors 'none'",
      "base-uri 'none'",
      "object-src 'none'",
    ].join('; '),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-cache',
  };

  const handleApi = async (request: IncomingMessage, response: ServerResponse, url: URL) => {
    const rawPath = url.pathname.slice(API_PREFIX.length) || '/';
    const method = request.method ?? 'GET';
    if (!matchRoute(method, rawPath)) {
      sendJson(response, 404, { message: 'Not Found' });
      return;
    }
    // The authorizer runs before the function, as in AWS, and answers in API Gateway's words.
    if (options.token && !bearerMatches(request.headers.authorization, options.token)) {
      sendJson(response, 401, { message: 'Unauthorized' }, { 'www-authenticate': 'Bearer' });
      return;
    }
    const event = toApiGatewayEvent({
      method,
      rawPath,
      rawQueryString: url.search.replace(/^\?/, ''),
      headers: request.headers,
      body: await readBody(request),
      sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
      // The bearer token is the local operator's, who sees every job (functions/lib/api/auth.ts).
      ...(options.token ? { claims: LOCAL_OPERATOR_CLAIMS } : {}),
    });
    try {
      const result = await options.invoke(event);
      const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k, String(v)]));
      response.writeHead(result.statusCode ?? 200, headers);
      response.end(result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64') : (result.body ?? ''));
    } catch {
      sendJson(response, 500, { message: 'Internal Server Error' });
    }
  };

  const handleStatic = async (response: ServerResponse, url: URL) => {
    if (url.pathname === '/config.json') {
      sendJson(response, 200, config(), { 'cache-control': 'no-cache' });
      return;
    }
    const relative = decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname);
    const file = path.resolve(staticRoot, `.${relative}`);
    const info = file.startsWith(staticRoot + path.sep) ? await stat(file).catch(() => undefined) : undefined;
    if (!info?.isFile()) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('Not found');
      return;
    }
    response.writeHead(200, {
      ...pageHeaders,
      'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
      'content-length': String(info.size),
    });
    createReadStream(file).pipe(response);
  };

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://local');
    const work =
      url.pathname === API_PREFIX || url.pathname.startsWith(`${API_PREFIX}/`)
        ? handleApi(request, response, url)
        : request.method === 'GET' || request.method === 'HEAD'
          ? handleStatic(response, url)
          : Promise.resolve(sendJson(response, 405, { message: 'Method Not Allowed' }));
    work.catch(() => {
      if (!response.headersSent) sendJson(response, 500, { message: 'Internal Server Error' });
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  origin = `http://${host}:${port}`;
  const pageOrigins = [...new Set([origin, `http://localhost:${port}`])];
  guardLocalServer(server, { name: 'local API gateway', allowedOrigins: () => new Set(pageOrigins) });
  return {
    pageOrigins,
    url: `${origin}/`,
    apiUrl: `${origin}${API_PREFIX}`,
    pageUrl: options.token ? `${origin}/#token=${encodeURIComponent(options.token)}` : `${origin}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
