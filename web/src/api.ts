import type { ApiErrorBody } from '../../functions/lib/api/http';
import type {
  ExecutionSummary,
  JobListResponse,
  JobView,
  ResultResponse,
  UploadResponse,
} from '../../functions/lib/api/views';
import { accessToken } from './auth';
import type { WebConfig } from './config';

export type { ExecutionSummary, JobListResponse, JobView, ResultResponse, UploadResponse };

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

  private async request<T>(path: string, init: RequestInit = {}): Promise<T> {
    const token = accessToken();
    let response: Response;
    try {
      response = await fetch(`${this.config.apiUrl}${path}`, {
        ...init,
        headers: { ...(init.headers ?? {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      });
    } catch {
      throw new ApiRequestError(0, 'NETWORK', 'The API cannot be reached. Check your connection and try again.');
    }
    const body = (await response.json().catch(() => undefined)) as (T & Partial<ApiErrorBody>) | undefined;
    if (response.ok && body) return body;
    if (response.status === 401) this.onUnauthorized();
    throw new ApiRequestError(
      response.status,
      body?.error?.code ?? 'HTTP_ERROR',
      body?.error?.message ?? `The API answered HTTP ${response.status}.`,
    );
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
