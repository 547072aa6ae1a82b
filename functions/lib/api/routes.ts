import * as z from 'zod';
import type { S3Ref } from '../contracts/common';
import type { JobRecord } from '../contracts/job';
import type { Caller } from './auth';
import { EDIT_ROUTE_KEYS, editRoutes, type EditPorts, type EditRouteKey } from './edit-routes';
import { summariseExecution } from './execution';
import { ApiError, jsonResponse, type HttpResponse } from './http';
import {
  InvalidCursorError,
  type DownloadSigner,
  type ExecutionHistoryReader,
  type JobReader,
  type UploadSigner,
} from './ports';
import { createUpload, uploadRequestSchema } from './uploads';
import { parse } from './validation';
import {
  RESULT_FILES,
  toJobView,
  type JobListResponse,
  type ResultFile,
  type ResultLink,
  type ResultResponse,
} from './views';

/**
 * The API's routes, as API Gateway route keys. terraform/api.tf creates exactly these (a
 * test holds the two together) and the local gateway matches requests against them.
 */
export const ROUTE_KEYS = [
  'POST /uploads',
  'GET /jobs',
  'GET /jobs/{id}',
  'GET /jobs/{id}/execution',
  'GET /jobs/{id}/result',
  ...EDIT_ROUTE_KEYS,
] as const;
export type RouteKey = (typeof ROUTE_KEYS)[number];

/** The parts of an API Gateway payload 2.0 event the routes read. */
export interface ApiRequest {
  routeKey: string;
  caller: Caller;
  pathParameters?: Record<string, string | undefined>;
  queryStringParameters?: Record<string, string | undefined>;
  /** Parsed by the JSON body parser when the request was JSON; a string otherwise. */
  body?: unknown;
}

export interface ApiPorts extends EditPorts {
  jobs: JobReader;
  uploads: UploadSigner;
  downloads: DownloadSigner;
  executions: ExecutionHistoryReader;
  now: () => Date;
}

export interface ApiOptions {
  uploadsBucket: string;
  processedBucket: string;
  maxUploadBytes: number;
  allowedExtensions: readonly string[];
  uploadUrlSeconds: number;
  resultUrlSeconds: number;
  maxHistoryEvents: number;
}

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

const jobIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,80}$/, 'must be a job id (letters, digits, _ and -)');

const listQuerySchema = z.object({
  limit: z.coerce
    .number()
    .int('limit must be a whole number')
    .min(1, 'limit must be at least 1')
    .max(MAX_PAGE_SIZE, `limit must be at most ${MAX_PAGE_SIZE}`)
    .default(DEFAULT_PAGE_SIZE),
  cursor: z.string().min(1).max(2048).optional(),
});

async function requireJob(request: ApiRequest, jobs: JobReader): Promise<JobRecord> {
  const jobId = parse(jobIdSchema, request.pathParameters?.id, 'job id in the path');
  const job = await jobs.get(jobId);
  if (!job) {
    throw new ApiError(404, 'JOB_NOT_FOUND', `There is no job ${jobId}. Check the id, or pick the job from the list.`);
  }
  return job;
}

type Route = (request: ApiRequest, ports: ApiPorts, options: ApiOptions) => Promise<HttpResponse>;

/** The edit routes, each behind the same job lookup as every other route. */
const jobEditRoutes = Object.fromEntries(
  EDIT_ROUTE_KEYS.map((key): [EditRouteKey, Route] => [
    key,
    async (request, ports) => editRoutes[key](request, ports, await requireJob(request, ports.jobs)),
  ]),
) as Record<EditRouteKey, Route>;

const routes: Record<RouteKey, Route> = {
  ...jobEditRoutes,
  'POST /uploads': async (request, ports, options) => {
    if (typeof request.body !== 'object' || request.body === null) {
      throw new ApiError(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        'Send the upload request as a JSON object with "Content-Type: application/json".',
      );
    }
    const body = parse(uploadRequestSchema, request.body, 'upload request');
    const upload = await createUpload(body, ports.uploads, {
      uploadsBucket: options.uploadsBucket,
      maxUploadBytes: options.maxUploadBytes,
      allowedExtensions: options.allowedExtensions,
      expiresInSeconds: options.uploadUrlSeconds,
      now: ports.now,
    });
    return jsonResponse(201, upload);
  },

  'GET /jobs': async (request, ports) => {
    const query = parse(listQuerySchema, request.queryStringParameters ?? {}, 'query string');
    try {
      const page = await ports.jobs.listRecent(query.limit, query.cursor);
      const body: JobListResponse = {
        jobs: page.jobs.map(toJobView),
        ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
      };
      return jsonResponse(200, body);
    } catch (error) {
      if (error instanceof InvalidCursorError) {
        throw new ApiError(400, 'INVALID_REQUEST', `${error.message} Start again from the first page (no cursor).`);
      }
      throw error;
    }
  },

  'GET /jobs/{id}': async (request, ports) => {
    const job = await requireJob(request, ports.jobs);
    return jsonResponse(200, toJobView(job));
  },

  'GET /jobs/{id}/execution': async (request, ports, options) => {
    const job = await requireJob(request, ports.jobs);
    if (!job.executionArn) {
      throw new ApiError(
        409,
        'EXECUTION_NOT_STARTED',
        job.status === 'FAILED'
          ? `Job ${job.jobId} failed before its execution started: ${job.error?.message ?? 'no reason recorded'}`
          : `Job ${job.jobId} has no execution yet. Try again in a few seconds.`,
      );
    }
    const { events, truncated } = await ports.executions.history(job.executionArn, options.maxHistoryEvents);
    return jsonResponse(200, summariseExecution(job.executionArn, events, truncated));
  },

  'GET /jobs/{id}/result': async (request, ports, options) => {
    const job = await requireJob(request, ports.jobs);
    if (job.status !== 'COMPLETED' && job.status !== 'DEGRADED') {
      throw new ApiError(
        409,
        'RESULT_NOT_READY',
        job.status === 'FAILED'
          ? `Job ${job.jobId} failed, so it has no result: ${job.error?.message ?? 'no reason recorded'}`
          : `Job ${job.jobId} is ${job.status}; its result is ready once it is COMPLETED or DEGRADED.`,
      );
    }
    const entries = await Promise.all(
      (Object.keys(RESULT_FILES) as ResultFile[]).map(async (name) => {
        const link = await resultLink(job, name, ports.downloads, options);
        return link ? ([name, link] as const) : undefined;
      }),
    );
    const body: ResultResponse = {
      jobId: job.jobId,
      status: job.status,
      expiresAt: new Date(ports.now().getTime() + options.resultUrlSeconds * 1000).toISOString(),
      files: Object.fromEntries(entries.filter((entry) => entry !== undefined)),
    };
    return jsonResponse(200, body);
  },
};

async function resultLink(
  job: JobRecord,
  name: ResultFile,
  downloads: DownloadSigner,
  options: ApiOptions,
): Promise<ResultLink | undefined> {
  const { file, label } = RESULT_FILES[name];
  const ref: S3Ref = { bucket: options.processedBucket, key: `jobs/${job.jobId}/${file}` };
  if (!(await downloads.exists(ref))) return undefined;
  const stem = job.source.key.slice(job.source.key.lastIndexOf('/') + 1).replace(/\.[^.]*$/, '') || job.jobId;
  const expiresInSeconds = options.resultUrlSeconds;
  const [url, downloadUrl] = await Promise.all([
    downloads.presignGet(ref, { expiresInSeconds }),
    downloads.presignGet(ref, { expiresInSeconds, downloadAs: `${stem}.${file}` }),
  ]);
  return { label, url, downloadUrl };
}

export function isRouteKey(value: string): value is RouteKey {
  return (ROUTE_KEYS as readonly string[]).includes(value);
}

/** Runs the route the request names; unknown routes are 404. */
export async function handleApiRequest(
  request: ApiRequest,
  ports: ApiPorts,
  options: ApiOptions,
): Promise<HttpResponse> {
  if (!isRouteKey(request.routeKey)) {
    throw new ApiError(
      404,
      'ROUTE_NOT_FOUND',
      `There is no route ${request.routeKey}. The API has ${ROUTE_KEYS.join(', ')}.`,
    );
  }
  return routes[request.routeKey](request, ports, options);
}
