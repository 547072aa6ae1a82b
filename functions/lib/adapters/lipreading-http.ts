import * as z from 'zod';
import type { S3Ref } from '../contracts/common';
import { s3RefSchema } from '../contracts/common';
import { LipReadingFailedError, LipReadingUnavailableError } from '../errors';
import type { LipReadingClient, LipReadingModelStatus } from '../ports';

/**
 * A Lambda must not hang on a server that accepted the socket and went quiet. The
 * runtime's own fetch (undici inside Node) is used: the undici package would add 700 KiB
 * to the bundle, and its separate header and body timeouts buy nothing for small JSON.
 */
export const LIPREADING_TIMEOUT_MS = 10_000;

/** Network faults that clear by themselves: the host is booting, restarting or overloaded. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

/** fetch wraps the socket error in `cause`; a timeout is a TimeoutError from the signal. */
function unreachableReason(error: unknown): string | undefined {
  for (let current = error, depth = 0; typeof current === 'object' && current !== null && depth < 4; depth++) {
    const { name, code } = current as { name?: unknown; code?: unknown };
    if (name === 'TimeoutError') return `no answer within ${LIPREADING_TIMEOUT_MS / 1000} s`;
    if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

const submittedSchema = z.object({ id: z.string().min(1) });
/** The model part of GET /health: `model: null` with a reason when the server has none. */
const healthSchema = z.looseObject({
  model: z.union([z.null(), z.looseObject({ name: z.string() })]),
  reason: z.string().optional(),
});
/** The fallback reason for a server that reports no model without saying why. */
const NO_MODEL = 'the lip-reading server has no model loaded';
const jobSchema = z.object({
  id: z.string(),
  status: z.enum(['queued', 'running', 'succeeded', 'failed']),
  result: s3RefSchema.optional(),
  error: z.union([z.string(), z.object({ message: z.string() }).loose()]).optional(),
});

type JobStatus = Awaited<ReturnType<LipReadingClient['status']>>;

/** The ec2-avhubert server's job API (DESIGN.md §2). */
export class HttpLipReadingClient implements LipReadingClient {
  private readonly baseUrl: string;

  /** `secret`: the shared secret the server requires on every request (SSM, or the local stack's). */
  constructor(
    endpoint: string,
    private readonly secret: string,
  ) {
    this.baseUrl = endpoint.replace(/\/+$/, '');
  }

  async health(): Promise<LipReadingModelStatus> {
    const response = await this.call('GET', '/health');
    const health = this.parse(response, healthSchema, 'GET /health');
    return health.model ? { model: { name: health.model.name } } : { model: null, reason: health.reason ?? NO_MODEL };
  }

  async submit(job: Parameters<LipReadingClient['submit']>[0]): Promise<{ id: string }> {
    const body = JSON.stringify({
      video: { bucket: job.video.bucket, key: job.video.key },
      mode: job.mode,
      ...(job.segments ? { segments: job.segments } : {}),
    });
    const response = await this.call('POST', '/v1/jobs', body);
    return this.parse(response, submittedSchema, 'POST /v1/jobs');
  }

  async status(id: string): Promise<JobStatus> {
    const response = await this.call('GET', `/v1/jobs/${encodeURIComponent(id)}`);
    if (response.statusCode === 404) {
      throw new LipReadingFailedError(
        `The lip-reading server no longer knows job ${id} (it may have restarted). Run the video through the pipeline again.`,
      );
    }
    const job = this.parse(response, jobSchema, `GET /v1/jobs/${id}`);
    switch (job.status) {
      case 'queued':
      case 'running':
        return { state: job.status };
      case 'succeeded':
        if (!job.result) throw new LipReadingFailedError(`The lip-reading server finished job ${id} without a result.`);
        return { state: 'succeeded', result: job.result satisfies S3Ref };
      case 'failed':
        return {
          state: 'failed',
          reason: typeof job.error === 'string' ? job.error : (job.error?.message ?? 'no reason given'),
        };
    }
  }

  private async call(method: 'GET' | 'POST', path: string, body?: string) {
    try {
      const response = await fetch(`${this.baseUrl}${path}`, {
        method,
        signal: AbortSignal.timeout(LIPREADING_TIMEOUT_MS),
        headers: {
          accept: 'application/json',
          authorization: `Bearer ${this.secret}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { body } : {}),
      });
      return {
        statusCode: response.status,
        retryAfter: response.headers.get('retry-after') ?? undefined,
        text: await response.text(),
      };
    } catch (error) {
      const reason = unreachableReason(error);
      if (reason) {
        throw new LipReadingUnavailableError(
          `The lip-reading server at ${this.baseUrl} did not answer ${method} ${path} (${reason}).`,
          { cause: error },
        );
      }
      throw error;
    }
  }

  private parse<T>(
    response: { statusCode: number; retryAfter: string | undefined; text: string },
    schema: z.ZodType<T>,
    what: string,
  ): T {
    const { statusCode, text } = response;
    const refusal = /"code"\s*:\s*"no_model"/.test(text) ? errorText(text) : undefined;
    if (refusal) {
      // Lost a race with a restart: the next attempt's health check turns this into "skipped".
      throw new LipReadingUnavailableError(`The lip-reading server refused ${what}: ${refusal}`);
    }
    if (statusCode === 429 || statusCode >= 500) {
      const retryAfter = response.retryAfter ? `; it asks to retry after ${response.retryAfter} s` : '';
      throw new LipReadingUnavailableError(
        `The lip-reading server is busy: ${what} answered ${statusCode}${retryAfter}.`,
      );
    }
    if (statusCode >= 400) {
      throw new LipReadingFailedError(
        `The lip-reading server rejected ${what} with ${statusCode}: ${text.slice(0, 300)}`,
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new LipReadingFailedError(`The lip-reading server answered ${what} with something that is not JSON.`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new LipReadingFailedError(
        `The lip-reading server's answer to ${what} breaks its contract: ${parsed.error.message}`,
      );
    }
    return parsed.data;
  }
}

/** The `error` of a JSON error body, else the start of the text. */
function errorText(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: unknown };
    if (typeof body.error === 'string') return body.error;
  } catch {
    // Not JSON: show it as it came.
  }
  return text.slice(0, 300);
}
