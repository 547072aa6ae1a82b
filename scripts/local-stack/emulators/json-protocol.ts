import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type * as z from 'zod';
import type { EmulatorLogger } from './types';
import { guardLocalServer, keepIdleConnections } from '../http-guard';

/**
 * An error the SDK turns into its named exception class: JSON-1.1 services answer with
 * `{"__type": name, "message": ...}` and the x-amzn-ErrorType header.
 */
export class AwsServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = type;
  }
}

export type Operation = (input: unknown) => unknown;

export interface JsonServiceDefinition {
  /** The X-Amz-Target prefix: `Transcribe` in `Transcribe.StartTranscriptionJob`. */
  targetPrefix: string;
  operations: Record<string, Operation>;
  /** The service's own name for a 500 (`InternalFailureException`, `InternalServerError`). */
  internalErrorType: string;
  /** Plain GET requests (downloads); answer and return true, or return false for a 404. */
  handleGet?: (path: string, response: ServerResponse) => Promise<boolean>;
  logger: EmulatorLogger;
}

const JSON_11 = 'application/x-amz-json-1.1';
const MAX_BODY_BYTES = 1 << 20;

/** Parses an operation's input with zod; a mismatch is the service's validation error. */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown, errorType: string): z.output<T> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'request'}: ${issue.message}`)
    .join('; ');
  throw new AwsServiceError(errorType, `1 validation error detected: ${problems}`);
}

/** An HTTP server that speaks AWS's JSON-1.1 protocol for the given operations, to local clients only. */
export function createJsonServer(definition: JsonServiceDefinition): Server {
  const server = createServer((request, response) => {
    void handle(definition, request, response);
  });
  guardLocalServer(server, { name: `local ${definition.targetPrefix}` });
  keepIdleConnections(server);
  return server;
}

async function handle(definition: JsonServiceDefinition, request: IncomingMessage, response: ServerResponse) {
  const requestId = randomUUID();
  response.setHeader('x-amzn-RequestId', requestId);
  const url = new URL(request.url ?? '/', 'http://localhost');
  try {
    if (request.method === 'GET' && definition.handleGet) {
      if (!(await definition.handleGet(decodeURIComponent(url.pathname), response))) {
        sendError(response, new AwsServiceError('NotFoundException', `Nothing is served at ${url.pathname}.`, 404));
      }
      return;
    }
    const target = request.headers['x-amz-target'];
    const [prefix, operationName] = typeof target === 'string' ? target.split('.', 2) : [];
    if (request.method !== 'POST' || prefix !== definition.targetPrefix || !operationName) {
      throw new AwsServiceError(
        'UnknownOperationException',
        `Expected POST / with X-Amz-Target: ${definition.targetPrefix}.<Operation>; got ${request.method} with ${String(target)}.`,
      );
    }
    const operation = definition.operations[operationName];
    if (!operation) {
      throw new AwsServiceError(
        'UnknownOperationException',
        `The local emulator does not implement ${operationName}. It implements ${Object.keys(definition.operations).join(', ')}.`,
      );
    }
    const body = await readBody(request);
    let input: unknown;
    try {
      input = body.length > 0 ? JSON.parse(body) : {};
    } catch {
      throw new AwsServiceError('SerializationException', 'The request body is not valid JSON.');
    }
    const output = await operation(input);
    const payload = JSON.stringify(output ?? {});
    response.writeHead(200, { 'Content-Type': JSON_11, 'Content-Length': Buffer.byteLength(payload) });
    response.end(payload);
    definition.logger.info(`${operationName} 200`, { requestId });
  } catch (error) {
    const serviceError =
      error instanceof AwsServiceError
        ? error
        : new AwsServiceError(definition.internalErrorType, `Internal error: ${(error as Error).message}`, 500);
    if (serviceError.statusCode >= 500) definition.logger.error('request failed', { requestId, error: String(error) });
    else definition.logger.info(`${String(request.headers['x-amz-target'])} ${serviceError.type}`, { requestId });
    sendError(response, serviceError);
  }
}

function sendError(response: ServerResponse, error: AwsServiceError) {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const payload = JSON.stringify({ __type: error.type, message: error.message });
  response.writeHead(error.statusCode, {
    'Content-Type': JSON_11,
    'Content-Length': Buffer.byteLength(payload),
    'x-amzn-ErrorType': error.type,
  });
  response.end(payload);
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES)
      throw new AwsServiceError('SerializationException', 'The request body is too large.', 413);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Listens and resolves with the base URL; port 0 picks a free one. */
export async function listen(server: Server, port: number, host: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return `http://${host}:${address.port}`;
}

export async function closeServer(server: Server): Promise<void> {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
