/**
 * Step Functions' JSON 1.0 wire protocol over the local engine, so the real
 * @aws-sdk/client-sfn (AWS_ENDPOINT_URL_SFN) and the AWS CLI work against it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ComponentLog } from '../logs';
import { SfnApiError, type SfnEngine } from './engine';
import { guardLocalServer, keepIdleConnections } from '../http-guard';

const CONTENT_TYPE = 'application/x-amz-json-1.0';
const TARGET_PREFIX = 'AWSStepFunctions.';

export interface RunningSfn {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** JSON protocols send timestamps as epoch seconds. */
function toWire(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(toWire);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) if (inner !== undefined) out[key] = toWire(inner);
    return out;
  }
  return value;
}

type Operation = (engine: SfnEngine, body: Record<string, never>) => unknown;

const OPERATIONS: Record<string, Operation> = {
  StartExecution: (engine, body) => engine.startExecution(body),
  DescribeExecution: (engine, body) => engine.describeExecution(body),
  ListExecutions: (engine, body) => engine.listExecutions(body),
  GetExecutionHistory: (engine, body) => engine.getExecutionHistory(body),
  StopExecution: (engine, body) => engine.stopExecution(body),
  DescribeStateMachine: (engine, body) => engine.describeStateMachine(body),
  ListStateMachines: (engine) => engine.listStateMachines(),
};

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(response: ServerResponse, status: number, body: unknown) {
  const payload = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': CONTENT_TYPE,
    'content-length': Buffer.byteLength(payload),
    'x-amzn-requestid': crypto.randomUUID(),
  });
  response.end(payload);
}

function sendError(response: ServerResponse, error: SfnApiError) {
  response.setHeader('x-amzn-errortype', error.type);
  send(response, error.statusCode, {
    __type: `com.amazonaws.swf.service.v2.model#${error.type}`,
    message: error.message,
  });
}

export function createSfnHandler(engine: SfnEngine, log?: ComponentLog) {
  return async (request: IncomingMessage, response: ServerResponse) => {
    const target = String(request.headers['x-amz-target'] ?? '');
    const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
    const started = Date.now();
    try {
      if (request.method !== 'POST') {
        throw new SfnApiError(
          'UnknownOperationException',
          'Step Functions takes POST requests with an X-Amz-Target header.',
        );
      }
      const handler = OPERATIONS[operation];
      if (!handler) {
        throw new SfnApiError(
          'UnknownOperationException',
          `The local Step Functions does not implement ${target || '(no X-Amz-Target)'}; it has ${Object.keys(OPERATIONS).join(', ')}.`,
        );
      }
      const raw = await readBody(request);
      let body: Record<string, never>;
      try {
        body = (raw ? JSON.parse(raw) : {}) as Record<string, never>;
      } catch {
        throw new SfnApiError('SerializationException', 'The request body is not JSON.');
      }
      send(response, 200, toWire(handler(engine, body)));
      log?.info(`${operation} 200`, { ms: Date.now() - started });
    } catch (error) {
      const apiError =
        error instanceof SfnApiError
          ? error
          : new SfnApiError('InternalFailure', (error as Error).message ?? String(error), 500);
      if (apiError.statusCode >= 500) log?.error(`${operation} failed`, { error });
      else log?.info(`${operation} ${apiError.statusCode} ${apiError.type}`, { message: apiError.message });
      sendError(response, apiError);
    }
  };
}

export async function startSfnServer(options: {
  engine: SfnEngine;
  host: string;
  port: number;
  log?: ComponentLog;
}): Promise<RunningSfn> {
  const handler = createSfnHandler(options.engine, options.log);
  const server = createServer((request, response) => void handler(request, response));
  guardLocalServer(server, { name: 'local Step Functions' });
  keepIdleConnections(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host}:${port}`;
  options.log?.info('Step Functions API listening', { url, stateMachineArn: options.engine.stateMachine.arn });
  return {
    url,
    port,
    close: async () => {
      await options.engine.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
