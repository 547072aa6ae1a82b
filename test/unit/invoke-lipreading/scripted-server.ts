import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  body: unknown;
}

export interface ScriptedReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** GET /health of a server with a model loaded: what the script answers unless told otherwise. */
export const HEALTHY: ScriptedReply = {
  status: 200,
  body: { status: 'ok', model: { loaded: true, name: 'avhubert-large', mode: 'avsr', device: 'cuda' } },
};

/**
 * A real HTTP server on 127.0.0.1 that answers the lip-reading API from a script: each
 * request takes the next reply queued for its "METHOD path", so a test can say "429 first,
 * then 202". GET /health answers HEALTHY when nothing is queued for it.
 */
export class ScriptedServer {
  readonly requests: RecordedRequest[] = [];
  private readonly replies = new Map<string, ScriptedReply[]>();
  private readonly defaults = new Map<string, ScriptedReply>([['GET /health', HEALTHY]]);
  private server: Server | undefined;

  reply(route: string, ...replies: ScriptedReply[]): this {
    this.replies.set(route, [...(this.replies.get(route) ?? []), ...replies]);
    return this;
  }

  reset(): void {
    this.requests.length = 0;
    this.replies.clear();
  }

  async listen(): Promise<number> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        this.requests.push({
          method: request.method ?? '',
          url: request.url ?? '',
          body: text ? JSON.parse(text) : undefined,
        });
        const route = `${request.method} ${request.url}`;
        const reply = this.replies.get(route)?.shift() ??
          this.defaults.get(route) ?? {
            status: 404,
            body: { error: `no scripted reply for ${route}` },
          };
        response.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
        response.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return (this.server!.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
