import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as z from 'zod';
import type { JobQueue, JobRequest } from './job-queue';
import type { Logger } from './logger';
import { PROMETHEUS_CONTENT_TYPE } from './metrics';

const MAX_BODY_BYTES = 64 * 1024;

export const jobRequestSchema = z
  .object({
    video: z.object({
      bucket: z.string().min(3, 'video.bucket must name an S3 bucket'),
      key: z.string().min(1, 'video.key must name the video object'),
    }),
    segments: z
      .array(
        z
          .object({ start: z.number().nonnegative(), end: z.number().nonnegative() })
          .refine((segment) => segment.end > segment.start, 'each segment must end after it starts'),
      )
      .max(10_000)
      .optional(),
    mode: z.enum(['vsr', 'avsr'], "mode must be 'vsr' (lips only) or 'avsr' (lips and audio)"),
  })
  .strict();

/**
 * Who may use the server, and on what: requests must carry the shared secret (Terraform keeps
 * it in SSM; invoke-lipreading sends it), and jobs may read only the pipeline's own videos.
 */
export interface ServerAccess {
  secret: string;
  processedBucket: string;
  /** Host headers answered, lower case with the port; empty: any (EC2, reached by address). */
  allowedHosts: readonly string[];
}

/** The one key shape the pipeline sends: extract's video of a job. */
export const VIDEO_KEY = /^jobs\/[A-Za-z0-9][A-Za-z0-9_-]{0,127}\/video\.mp4$/;

export interface HttpDeps {
  access: ServerAccess;
  queue: JobQueue;
  health: () => Promise<Record<string, unknown>> | Record<string, unknown>;
  metrics: () => Promise<string> | string;
  log: Logger;
  /** Set when no model is loaded: why; jobs are then refused with code 'no_model'. */
  noModel?: string;
}

class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly headers: Record<string, string> = {},
    /** A stable name clients can act on, e.g. 'no_model' (retrying will not help). */
    readonly code?: string,
  ) {
    super(message);
  }
}

const JOB_PATH = /^\/v1\/jobs\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

function sendJson(response: ServerResponse, statusCode: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  response.writeHead(statusCode, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  response.end(text);
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const type = request.headers['content-type'] ?? '';
  if (!type.startsWith('application/json')) {
    throw new HttpError(415, 'Send the job as JSON with Content-Type: application/json.');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `The request body is over ${MAX_BODY_BYTES} bytes.`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'The request body is not valid JSON.');
  }
}

function parseJobRequest(body: unknown, access: ServerAccess): JobRequest {
  const parsed = jobRequestSchema.safeParse(body);
  if (parsed.success) {
    const { bucket, key } = parsed.data.video;
    if (bucket !== access.processedBucket) {
      throw new HttpError(403, `This server reads videos from the pipeline's processed bucket only, not ${bucket}.`);
    }
    if (!VIDEO_KEY.test(key)) {
      throw new HttpError(
        400,
        `video.key must be jobs/<jobId>/video.mp4 (extract's output), not ${JSON.stringify(key)}.`,
      );
    }
    return parsed.data;
  }
  const problems = parsed.error.issues
    .map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
  throw new HttpError(
    400,
    `Invalid job (${problems}). Expected {"video":{"bucket","key"},"mode":"vsr"|"avsr","segments"?:[{"start","end"}]}.`,
  );
}

const secretMatches = (header: string | undefined, secret: string) => {
  const given = Buffer.from(/^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1] ?? '');
  const expected = Buffer.from(secret);
  return given.length === expected.length && timingSafeEqual(given, expected);
};

/** Refuses a foreign Host or a request without the shared secret, before anything else. */
function checkAccess(request: IncomingMessage, access: ServerAccess): void {
  const host = (request.headers.host ?? '').toLowerCase();
  if (access.allowedHosts.length && !access.allowedHosts.includes(host)) {
    throw new HttpError(403, `Host ${JSON.stringify(request.headers.host ?? '')} is not this server.`);
  }
  if (!secretMatches(request.headers.authorization, access.secret)) {
    throw new HttpError(401, 'Send the shared secret as Authorization: Bearer <secret>.', {
      'www-authenticate': 'Bearer',
    });
  }
}

/** Routes the server's four endpoints; anything else is 404 or 405. */
export function createRequestHandler(deps: HttpDeps) {
  async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const { pathname } = new URL(request.url ?? '/', 'http://localhost');
    const method = request.method ?? 'GET';
    checkAccess(request, deps.access);

    if (pathname === '/v1/jobs') {
      if (method !== 'POST') throw new HttpError(405, 'Use POST /v1/jobs to submit a job.', { allow: 'POST' });
      if (deps.noModel) {
        throw new HttpError(
          503,
          `This server has no lip-reading model: ${deps.noModel}. Jobs are refused until it is restarted with one.`,
          {},
          'no_model',
        );
      }
      if (!deps.queue.isAccepting) {
        throw new HttpError(503, 'The lip-reading server is shutting down. Retry shortly.', { 'retry-after': '60' });
      }
      const jobRequest = parseJobRequest(await readJson(request), deps.access);
      const submitted = deps.queue.submit(jobRequest);
      if (!submitted.accepted) {
        const retryAfter = { 'retry-after': String(submitted.retryAfterSeconds) };
        if (submitted.reason === 'shutting_down') {
          throw new HttpError(503, 'The lip-reading server is shutting down. Retry shortly.', retryAfter);
        }
        throw new HttpError(
          429,
          `The job queue is full (${deps.queue.capacity} waiting). Retry after ${submitted.retryAfterSeconds} s.`,
          retryAfter,
        );
      }
      sendJson(
        response,
        202,
        { id: submitted.job.id, status: submitted.job.status },
        {
          location: `/v1/jobs/${submitted.job.id}`,
        },
      );
      return;
    }

    const jobMatch = JOB_PATH.exec(pathname);
    if (jobMatch || pathname.startsWith('/v1/jobs/')) {
      if (method !== 'GET') throw new HttpError(405, 'Use GET /v1/jobs/{id} to read a job.', { allow: 'GET' });
      const job = jobMatch?.[1] ? deps.queue.get(jobMatch[1]) : undefined;
      if (!job) throw new HttpError(404, 'No such job. Job ids are kept in memory only until the server restarts.');
      sendJson(response, 200, job);
      return;
    }

    if (pathname === '/health') {
      if (method !== 'GET') throw new HttpError(405, 'Use GET /health.', { allow: 'GET' });
      sendJson(response, 200, await deps.health());
      return;
    }

    if (pathname === '/metrics') {
      if (method !== 'GET') throw new HttpError(405, 'Use GET /metrics.', { allow: 'GET' });
      const text = await deps.metrics();
      response.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE, 'content-length': Buffer.byteLength(text) });
      response.end(text);
      return;
    }

    throw new HttpError(
      404,
      `Nothing at ${method} ${pathname}. Try POST /v1/jobs, GET /v1/jobs/{id}, /health or /metrics.`,
    );
  }

  return (request: IncomingMessage, response: ServerResponse): void => {
    route(request, response).catch((error: unknown) => {
      if (error instanceof HttpError) {
        const body = { error: error.message, ...(error.code ? { code: error.code } : {}) };
        sendJson(response, error.statusCode, body, error.headers);
        return;
      }
      deps.log.error('request failed', { error, url: request.url, method: request.method });
      if (!response.headersSent) sendJson(response, 500, { error: 'The lip-reading server failed unexpectedly.' });
      else response.destroy();
    });
  };
}
