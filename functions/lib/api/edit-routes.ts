import * as z from 'zod';
import type { EditsDocument } from '../contracts/documents';
import type { JobRecord } from '../contracts/job';
import type { CaptionDraft } from '../edits/caption-draft';
import {
  EditVersionNotFoundError,
  InvalidEditError,
  StaleEditError,
  latestVersion,
  readDraft,
  restoreVersion,
  saveEdits,
  type EditsStore,
} from '../edits/caption-edits';
import {
  ResultMissingError,
  TrackUnavailableError,
  exportCaptions,
  readResult,
  type JobFiles,
} from '../edits/export-captions';
import { exportQuerySchema, restoreRequestSchema, saveEditsRequestSchema } from '../edits/schemas';
import type { Caller } from './auth';
import { ApiError, jsonResponse, type HttpResponse } from './http';
import { parse } from './validation';

/**
 * Caption edits over HTTP (issue 17): list, view, save and restore versions of a job's
 * edits, and download its captions from the latest one. Every route runs after the job was
 * found for the caller (routes.ts); saving and restoring also ask the edit access port.
 */
export const EDIT_ROUTE_KEYS = [
  'GET /jobs/{id}/edits',
  'POST /jobs/{id}/edits',
  'GET /jobs/{id}/edits/{version}',
  'POST /jobs/{id}/edits/{version}/restore',
  'GET /jobs/{id}/export',
] as const;
export type EditRouteKey = (typeof EDIT_ROUTE_KEYS)[number];

/** Who may change a job's captions. Plugs into job ownership: the owner, or an admin. */
export interface EditAccess {
  mayEdit(caller: Caller, job: JobRecord): boolean;
}

export interface EditPorts {
  edits: EditsStore;
  files: JobFiles;
  editAccess: EditAccess;
  now: () => Date;
}

export interface EditRequest {
  caller: Caller;
  pathParameters?: Record<string, string | undefined>;
  queryStringParameters?: Record<string, string | undefined>;
  body?: unknown;
}

/** What the page reads: the versions that exist, 0 being the captions as produced. */
export interface EditVersionsResponse {
  jobId: string;
  latest: number;
  versions: Array<{ version: number; savedAt?: string }>;
}

export interface EditVersionResponse {
  jobId: string;
  version: number;
  latest: number;
  draft: CaptionDraft;
  savedAt?: string;
  savedBy?: string;
  summary?: string;
  basedOn?: number;
  restoredFrom?: number;
}

type EditRoute = (request: EditRequest, ports: EditPorts, job: JobRecord) => Promise<HttpResponse>;

const versionParameter = z.coerce.number().int().nonnegative();

function jsonBody(body: unknown): unknown {
  if (typeof body !== 'object' || body === null) {
    throw new ApiError(
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      'Send the edits as a JSON object with "Content-Type: application/json".',
    );
  }
  return body;
}

function requireEditor(request: EditRequest, ports: EditPorts, job: JobRecord): void {
  if (!ports.editAccess.mayEdit(request.caller, job)) {
    throw new ApiError(403, 'FORBIDDEN', `Only the owner of job ${job.jobId} (or an admin) may edit its captions.`);
  }
}

function requireFinished(job: JobRecord): void {
  if (job.status !== 'COMPLETED' && job.status !== 'DEGRADED') {
    throw new ApiError(
      409,
      'RESULT_NOT_READY',
      `Job ${job.jobId} is ${job.status}; its captions can be edited once it is COMPLETED or DEGRADED.`,
    );
  }
}

function versionView(document: EditsDocument, latest: number): EditVersionResponse {
  return {
    jobId: document.jobId,
    version: document.number,
    latest,
    draft: { speakers: document.speakers, segments: document.segments },
    savedAt: document.savedAt,
    savedBy: document.savedBy,
    summary: document.summary,
    basedOn: document.basedOn,
    ...(document.restoredFrom !== undefined ? { restoredFrom: document.restoredFrom } : {}),
  };
}

/** Domain errors as HTTP answers with stable codes; the stale save says what to do. */
async function answering(work: () => Promise<HttpResponse>): Promise<HttpResponse> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof StaleEditError) throw new ApiError(409, 'EDIT_CONFLICT', error.message);
    if (error instanceof EditVersionNotFoundError) throw new ApiError(404, 'VERSION_NOT_FOUND', error.message);
    if (error instanceof InvalidEditError) throw new ApiError(400, 'INVALID_REQUEST', error.message);
    if (error instanceof ResultMissingError) throw new ApiError(409, 'RESULT_NOT_READY', error.message);
    if (error instanceof TrackUnavailableError) throw new ApiError(404, 'TRACK_NOT_AVAILABLE', error.message);
    throw error;
  }
}

export const editRoutes: Record<EditRouteKey, EditRoute> = {
  'GET /jobs/{id}/edits': (_request, ports, job) =>
    answering(async () => {
      requireFinished(job);
      const saved = await ports.edits.versions(job.jobId);
      const body: EditVersionsResponse = {
        jobId: job.jobId,
        latest: Math.max(0, ...saved.map((info) => info.version)),
        versions: [{ version: 0 }, ...saved],
      };
      return jsonResponse(200, body);
    }),

  'GET /jobs/{id}/edits/{version}': (request, ports, job) =>
    answering(async () => {
      requireFinished(job);
      const version = parse(versionParameter, request.pathParameters?.version, 'version in the path');
      const result = await readResult(job.jobId, ports.files);
      const [{ draft, document }, latest] = await Promise.all([
        readDraft(result, version, ports.edits),
        latestVersion(job.jobId, ports.edits),
      ]);
      const body: EditVersionResponse = document
        ? versionView(document, latest)
        : { jobId: job.jobId, version: 0, latest, draft };
      return jsonResponse(200, body);
    }),

  'POST /jobs/{id}/edits': (request, ports, job) =>
    answering(async () => {
      requireFinished(job);
      requireEditor(request, ports, job);
      const body = parse(saveEditsRequestSchema, jsonBody(request.body), 'edits');
      const result = await readResult(job.jobId, ports.files);
      const saved = await saveEdits(result, body, request.caller.subject, {
        store: ports.edits,
        clock: { now: ports.now },
      });
      return jsonResponse(201, versionView(saved, saved.number));
    }),

  'POST /jobs/{id}/edits/{version}/restore': (request, ports, job) =>
    answering(async () => {
      requireFinished(job);
      requireEditor(request, ports, job);
      const version = parse(versionParameter, request.pathParameters?.version, 'version in the path');
      const { basedOn } = parse(restoreRequestSchema, jsonBody(request.body), 'restore request');
      const result = await readResult(job.jobId, ports.files);
      const saved = await restoreVersion(result, version, basedOn, request.caller.subject, {
        store: ports.edits,
        clock: { now: ports.now },
      });
      return jsonResponse(201, versionView(saved, saved.number));
    }),

  'GET /jobs/{id}/export': (request, ports, job) =>
    answering(async () => {
      requireFinished(job);
      const { format, track, version, ...rules } = parse(
        exportQuerySchema,
        request.queryStringParameters ?? {},
        'query string',
      );
      const file = await exportCaptions(
        job.jobId,
        { format, track, rules, ...(version !== undefined ? { version } : {}) },
        { files: ports.files, edits: ports.edits },
      );
      return {
        statusCode: 200,
        headers: {
          'content-type': file.contentType,
          'content-disposition': `attachment; filename="${file.fileName}"`,
          'x-gorggle-edits-version': String(file.version),
          'cache-control': 'no-store',
          'x-content-type-options': 'nosniff',
        },
        body: file.body,
      };
    }),
};
