import type { ApiErrorBody } from '../../functions/lib/api/http';
import type {
  ExecutionSummary,
  JobListResponse,
  JobView,
  ResultResponse,
  UploadResponse,
} from '../../functions/lib/api/views';
import type { EditVersionResponse, EditVersionsResponse } from '../../functions/lib/api/edit-routes';
import type { CaptionDraft } from '../../functions/lib/edits/caption-draft';
import { accessToken } from './auth';
import type { WebConfig } from './config';

export type {
  EditVersionResponse,
  EditVersionsResponse,
  ExecutionSummary,
  JobListResponse,
  JobView,
  ResultResponse,
  UploadResponse,
};

/** A file the API answered with (an export), and which edits version it comes from. */
export interface DownloadedFile {
  blob: Blob;
  fileName: string;
  version: number;
}

/** An error answer of the API, with its stable code. */
export class ApiRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class Api {
  constructor(
    private readonly config: WebConfig,
    private readonly onUnauthorized: () => void,
  ) {}

  private async send(path: string, init: RequestInit = {}): Promise<Response> {
    const token = accessToken();
    try {
      return await fetch(`${this.config.apiUrl}${path}`, {
        ...init,
        headers: { ...(init.headers ?? {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      });
    } catch {
      throw new ApiRequestError(0, 'NETWORK', 'The API cannot be reached. Check your connection and try again.');
    }
  }

  private async failure(response: Response): Promise<ApiRequestError> {
    const body = (await response.json().catch(() => undefined)) as Partial<ApiErrorBody> | undefined;
    if (response.status === 401) this.onUnauthorized();
    return new ApiRequestError(
      response.status,
      body?.error?.code ?? 'HTTP_ERROR',
      body?.error?.message ?? `The API answered HTTP ${response.status}.`,
    );
  }

  private async request<T>(path: string, init: RequestInit = {}): Promise<T> {
    const response = await this.send(path, init);
    if (!response.ok) throw await this.failure(response);
    const body = (await response.json().catch(() => undefined)) as (T & Partial<ApiErrorBody>) | undefined;
    if (body) return body;
    throw new ApiRequestError(response.status, 'HTTP_ERROR', 'The API answered with something that is not JSON.');
  }

  private postJson<T>(path: string, body: unknown): Promise<T> {
    return this.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  }

  listEdits(id: string): Promise<EditVersionsResponse> {
    return this.request(`/jobs/${encodeURIComponent(id)}/edits`);
  }

  getEdits(id: string, version: number): Promise<EditVersionResponse> {
    return this.request(`/jobs/${encodeURIComponent(id)}/edits/${version}`);
  }

  saveEdits(id: string, basedOn: number, draft: CaptionDraft, summary?: string): Promise<EditVersionResponse> {
    return this.postJson(`/jobs/${encodeURIComponent(id)}/edits`, {
      basedOn,
      speakers: draft.speakers,
      segments: draft.segments,
      ...(summary ? { summary } : {}),
    });
  }

  restoreEdits(id: string, version: number, basedOn: number): Promise<EditVersionResponse> {
    return this.postJson(`/jobs/${encodeURIComponent(id)}/edits/${version}/restore`, { basedOn });
  }

  /** A caption file from the latest edits; `query` picks the format, track and layout. */
  async exportFile(id: string, query: Record<string, string>): Promise<DownloadedFile> {
    const response = await this.send(`/jobs/${encodeURIComponent(id)}/export?${new URLSearchParams(query)}`);
    if (!response.ok) throw await this.failure(response);
    const disposition = response.headers.get('content-disposition') ?? '';
    return {
      blob: await response.blob(),
      fileName: /filename="([^"]+)"/.exec(disposition)?.[1] ?? `${id}.${query.format ?? 'vtt'}`,
      version: Number(response.headers.get('x-gorggle-edits-version') ?? 0),
    };
  }

  listJobs(cursor?: string, limit = 20): Promise<JobListResponse> {
    const query = new URLSearchParams({ limit: String(limit), ...(cursor ? { cursor } : {}) });
    return this.request(`/jobs?${query}`);
  }

  getJob(id: string): Promise<JobView> {
    return this.request(`/jobs/${encodeURIComponent(id)}`);
  }

  getExecution(id: string): Promise<ExecutionSummary> {
    return this.request(`/jobs/${encodeURIComponent(id)}/execution`);
  }

  getResult(id: string): Promise<ResultResponse> {
    return this.request(`/jobs/${encodeURIComponent(id)}/result`);
  }

  createUpload(file: { fileName: string; contentType: string; size: number }): Promise<UploadResponse> {
    return this.request('/uploads', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(file),
    });
  }
}
