/** One video through the pipeline, as a user does it: upload, follow the job, read the result. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { extensionOf, MEDIA_EXTENSIONS } from '../../functions/lib/api/media-types';
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

/** A file the pipeline would not take: refused before anything is uploaded. */
export class UnprocessableFileError extends Error {
  override readonly name = 'UnprocessableFileError';
}

/**
 * Throws at once for a file that is missing or whose extension the pipeline ignores (the
 * upload would start no job, and waiting for one would only time out).
 */
export function assertProcessable(file: string, extensions: readonly string[] = MEDIA_EXTENSIONS): void {
  if (!existsSync(file)) throw new UnprocessableFileError(`There is no file at ${file}.`);
  const extension = extensionOf(file);
  if (!extensions.includes(extension)) {
    throw new UnprocessableFileError(
      `${path.basename(file)}: the pipeline ignores ${extension ? `.${extension}` : 'files without an extension'}; ` +
        `it takes .${extensions.join(', .')}. Convert the file (e.g. \`ffmpeg -i in.xyz out.mp4\`) and try again.`,
    );
  }
}

export async function processVideo(
  client: GorggleClient,
  file: string,
  options: ProcessOptions = {},
): Promise<ProcessedVideo> {
  assertProcessable(file);
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
