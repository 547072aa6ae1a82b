/** One video through the pipeline, as a user does it: upload, follow the job, read the result. */
import path from 'node:path';
import type { ResultDocument } from '../../functions/lib/contracts/documents';
import type { GorggleClient, JobSnapshot, UploadedVideo, WaitOptions } from './gorggle-client';

export interface ProcessOptions extends Omit<WaitOptions, 'onUpdate'> {
  reference?: string;
  key?: string;
  /** Copy result.json and the captions here (a folder per job is made under it). */
  downloadDir?: string;
  onUpload?: (uploaded: UploadedVideo) => void;
  onUpdate?: WaitOptions['onUpdate'];
}

export interface ProcessedVideo {
  uploaded: UploadedVideo;
  snapshot: JobSnapshot;
  result?: ResultDocument;
  localFiles: string[];
  /** Upload start to terminal state. */
  wallSeconds: number;
}

export async function processVideo(
  client: GorggleClient,
  file: string,
  options: ProcessOptions = {},
): Promise<ProcessedVideo> {
  const started = performance.now();
  const uploaded = await client.upload(file, { reference: options.reference, key: options.key });
  options.onUpload?.(uploaded);
  const snapshot = await client.waitForJob(uploaded.jobId, options);
  const wallSeconds = (performance.now() - started) / 1000;
  const finished = snapshot.job?.status === 'COMPLETED' || snapshot.job?.status === 'DEGRADED';
  const result = finished && snapshot.job ? await client.getResult(snapshot.job) : undefined;
  const localFiles =
    finished && options.downloadDir
      ? await client.downloadResults(uploaded.jobId, path.join(options.downloadDir, uploaded.jobId))
      : [];
  return { uploaded, snapshot, result, localFiles, wallSeconds };
}

/** Exit status for scripts: 0 when captions came out (COMPLETED or DEGRADED), else 1. */
export function exitCodeFor(snapshot: JobSnapshot): number {
  const status = snapshot.job?.status;
  return status === 'COMPLETED' || status === 'DEGRADED' ? 0 : 1;
}
