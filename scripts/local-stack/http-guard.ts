/**
 * Every local server answers only its own clients, not any web page the developer has open.
 *
 * Binding to 127.0.0.1 is not enough: a page on another site can send requests to it, and
 * with DNS rebinding (evil.example resolving to 127.0.0.1) it can read the answers too. So:
 * - the Host header must name this server (127.0.0.1, localhost or [::1] with its port),
 *   which a rebound name never does;
 * - a request from a browser page (it carries an Origin) is refused unless that origin is
 *   one the server serves, i.e. the local gateway's page; DynamoDB serves none.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LocalServerGuardOptions {
  /** What the server is called in refusals, e.g. "local S3". */
  name: string;
  /** Browser origins allowed to call; read per request, so it may change. None by default. */
  allowedOrigins?: () => ReadonlySet<string>;
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

/** Why the request is refused, or undefined when it may go on. */
export function refusalReason(
  request: Pick<IncomingMessage, 'headers'>,
  port: number,
  allowedOrigins: ReadonlySet<string> = new Set(),
): string | undefined {
  const host = (request.headers.host ?? '').toLowerCase();
  if (!LOOPBACK_NAMES.some((name) => host === `${name}:${port}`)) {
    return `Host "${request.headers.host ?? ''}" is not this server; use http://127.0.0.1:${port}.`;
  }
  const origin = request.headers.origin;
  if (origin !== undefined && !allowedOrigins.has(origin)) {
    return `requests from the web page at ${origin} are not allowed here.`;
  }
  return undefined;
}

function refuse(response: ServerResponse, name: string, reason: string): void {
  const body = JSON.stringify({ message: `The ${name} refused this request: ${reason}` });
  response.writeHead(403, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  response.end(body);
}

type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * Puts the guard in front of the server's existing request listeners (s3rver's and dynalite's
 * own, or ours): a refused request never reaches them. Call it after the server listens.
 */
export function guardLocalServer(server: Server, options: LocalServerGuardOptions): void {
  const listeners = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const { port } = server.address() as AddressInfo;
    const reason = refusalReason(request, port, options.allowedOrigins?.());
    if (reason) {
      request.resume();
      refuse(response, options.name, reason);
      return;
    }
    for (const listener of listeners) listener.call(server, request, response);
  });
}

/**
 * How long the local servers keep an idle connection: longer than the Lambda runner keeps a
 * warm environment (60 s), as AWS endpoints keep theirs. Node's default is 5 s, after which a
 * warm function's SDK could write its next request into a socket the server had just closed
 * ("socket hang up", which a streaming upload cannot retry).
 */
export const LOCAL_KEEP_ALIVE_MS = 75_000;

export function keepIdleConnections(server: Server): void {
  server.keepAliveTimeout = LOCAL_KEEP_ALIVE_MS;
  // Node wants headersTimeout above keepAliveTimeout, or it may cut a reused connection.
  server.headersTimeout = LOCAL_KEEP_ALIVE_MS + 1000;
}
