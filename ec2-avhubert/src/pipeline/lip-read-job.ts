import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { JobFailure, type JobContext, type JobOutcome, type JobRunner, type S3Location } from '../server/job-queue';
import { buildLipReadingDocument, type ReadChunk } from './document';

/*
 * The shapes this glue needs from src/preprocess and src/model, written structurally so
 * the glue is tested on its own; src/main.ts passes the real modules in.
 */

export interface ChunkLike {
  start: number;
  end: number;
  frames: number;
  video: Float32Array;
  audio?: Float32Array;
  faceFoundRatio: number;
}

export interface PreprocessSummaryLike {
  fps: number;
  totalFrames: number;
  faceFoundFrames: number;
  mouthOpening: number[];
  /** The speech the chunks followed; no segments means there was none to read. */
  speech?: { source: string; segments: ReadonlyArray<{ start: number; end: number }> };
}

export type PreprocessStreamItemLike =
  | { type: 'start'; durationSec: number }
  | { type: 'chunk'; chunk: ChunkLike }
  | { type: 'done'; summary: PreprocessSummaryLike };

/** preprocessVideoStream: chunks as they are ready, then a summary; one chunk in memory at a time. */
export type PreprocessStreamFn = (
  filePath: string,
  options?: {
    fps?: 25;
    maxChunkSeconds?: number;
    speechSegments?: ReadonlyArray<{ start: number; end: number }>;
    withAudio?: boolean;
    /** The job's signal: aborting it kills the probe and the decoders at once. */
    signal?: AbortSignal;
  },
) => AsyncIterable<PreprocessStreamItemLike>;

export interface ModelLike {
  readonly name: string;
  readonly mode: 'vsr' | 'avsr';
  /** Stops at the next decoder step once `signal` aborts. */
  transcribe(
    input: {
      frames: number;
      video?: Float32Array;
      audio?: Float32Array;
    },
    options?: { signal?: AbortSignal },
  ): Promise<{ text: string; confidence: number }>;
}

export interface ObjectStoreLike {
  /** Throws an error named SourceObjectMissingError when the object is absent. */
  download(ref: S3Location, filePath: string): Promise<void>;
  putText(ref: S3Location, body: string, contentType: string): Promise<void>;
}

export interface LipReadingPipelineDeps {
  store: ObjectStoreLike;
  model: ModelLike;
  preprocess: PreprocessStreamFn;
  tmpDir: string;
  /** Longest chunk; default 15 s. */
  maxChunkSeconds?: number;
  /**
   * Chunks handed to the model before the oldest is read back: preprocessing runs ahead while
   * the model decodes (and the device decoder batches them). Default 2.
   */
  chunksInFlight?: number;
  /** The job's time budget: base + per second of video (GORGGLE_JOB_TIMEOUT_*). */
  timeBudget?: { baseMs: number; perVideoSecondMs: number };
}

/** lipreading.json's reason when the job had no speech to read. */
export const NO_SPEECH = 'no speech';

/** Reasons preprocessing reports (PreprocessError.reason in src/preprocess/errors.ts). */
const PREPROCESS_REASONS = new Set(['corrupt_video', 'no_frames', 'no_face']);

const preprocessReason = (error: unknown): string | undefined => {
  if (!(error instanceof Error) || !('reason' in error)) return undefined;
  const reason = (error as { reason: unknown }).reason;
  return typeof reason === 'string' && PREPROCESS_REASONS.has(reason) ? reason : undefined;
};

/** The job's folder is the video key's folder: jobs/<jobId>/video.mp4 -> jobs/<jobId>/lipreading.json. */
export function resultKeyFor(videoKey: string, serverJobId: string): string {
  const folder = path.posix.dirname(videoKey);
  return folder === '.' || folder === '/' ? `jobs/${serverJobId}/lipreading.json` : `${folder}/lipreading.json`;
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) {
    throw signal.reason instanceof JobFailure ? signal.reason : new JobFailure('aborted', 'The job was stopped.');
  }
}

/** The job's time limit for a video of `seconds`: the budget scales with its length. */
export function budgetMs(budget: { baseMs: number; perVideoSecondMs: number }, seconds: number): number {
  return Math.round(budget.baseMs + budget.perVideoSecondMs * Math.max(0, seconds));
}

/**
 * Download -> preprocess -> model per chunk -> lipreading.json in the video's job folder.
 * Each chunk is read as soon as preprocessing yields it, so a long video never sits in
 * memory whole; leaving the loop early (abort, error) stops preprocessing and its ffmpeg.
 */
export function createLipReadingRunner(deps: LipReadingPipelineDeps): JobRunner {
  return async ({ id, request, signal, log, setTimeLimit }: JobContext): Promise<JobOutcome> => {
    const clock = () => performance.now();
    const result: S3Location = { bucket: request.video.bucket, key: resultKeyFor(request.video.key, id) };
    const workDir = await mkdtemp(path.join(deps.tmpDir, 'gorggle-avhubert-'));
    try {
      const downloadStarted = clock();
      const videoPath = path.join(workDir, `video${path.posix.extname(request.video.key) || '.mp4'}`);
      try {
        await deps.store.download(request.video, videoPath);
      } catch (error) {
        if (error instanceof Error && error.name === 'SourceObjectMissingError') {
          throw new JobFailure(
            'source_missing',
            `s3://${request.video.bucket}/${request.video.key} does not exist. Check the bucket and key, or upload the video again.`,
            { cause: error },
          );
        }
        throw error;
      }
      const downloadMs = clock() - downloadStarted;
      throwIfAborted(signal);

      // A lips-only model cannot use audio: read the lips and say so in model.mode.
      const mode = request.mode === 'avsr' && deps.model.mode === 'avsr' ? 'avsr' : 'vsr';
      if (mode !== request.mode) log.warn('avsr requested but the model reads lips only; running vsr');

      let summary: PreprocessSummaryLike | undefined;
      let emptyReason: string | undefined;
      const chunks: ReadChunk[] = [];
      const inferenceMsPerChunk: number[] = [];
      // Chunks the model is reading while preprocessing goes on; read back oldest first.
      const reading: Array<Promise<void>> = [];
      let inferenceMs = 0;
      let preprocessMs = 0;
      let modelWaitMs = 0;
      const read = (chunk: ChunkLike): Promise<void> => {
        const started = clock();
        return deps.model
          .transcribe(
            {
              frames: chunk.frames,
              video: chunk.video,
              ...(mode === 'avsr' && chunk.audio ? { audio: chunk.audio } : {}),
            },
            { signal },
          )
          .then((hypothesis) => {
            const ms = clock() - started;
            inferenceMsPerChunk.push(ms);
            inferenceMs += ms;
            chunks.push({
              start: chunk.start,
              end: chunk.end,
              text: hypothesis.text,
              confidence: hypothesis.confidence,
            });
          });
      };
      if (request.segments?.length === 0) {
        // The caller's voice activity found no speech: nothing to read, not even frames to decode.
        emptyReason = NO_SPEECH;
      } else {
        const stream = deps.preprocess(videoPath, {
          fps: 25,
          maxChunkSeconds: deps.maxChunkSeconds ?? 15,
          speechSegments: request.segments,
          withAudio: mode === 'avsr',
          signal,
        });
        const iterator = stream[Symbol.asyncIterator]();
        const waitForModel = async (promise: Promise<void> | undefined) => {
          const started = clock();
          await promise;
          modelWaitMs += clock() - started;
        };
        try {
          for (;;) {
            const started = clock();
            const next = await iterator.next();
            preprocessMs += clock() - started;
            if (next.done) break;
            throwIfAborted(signal);
            const item = next.value;
            if (item.type === 'start') {
              // The time budget scales with the video's length, known now.
              if (deps.timeBudget) setTimeLimit?.(budgetMs(deps.timeBudget, item.durationSec));
              continue;
            }
            if (item.type === 'done') {
              summary = item.summary;
              continue;
            }
            const { chunk } = item;
            if (chunk.frames === 0 || chunk.faceFoundRatio === 0) continue;
            const pending = read(chunk);
            pending.catch(() => undefined);
            reading.push(pending);
            if (reading.length > (deps.chunksInFlight ?? 2)) await waitForModel(reading.shift());
          }
          await waitForModel(Promise.all(reading).then(() => undefined));
        } catch (error) {
          await iterator.return?.();
          await Promise.allSettled(reading);
          const reason = preprocessReason(error);
          if (reason === 'no_face') emptyReason = 'no_face';
          else if (reason) throw new JobFailure(reason, (error as Error).message, { cause: error });
          else throw error;
        }
      }
      throwIfAborted(signal);
      chunks.sort((a, b) => a.start - b.start);
      if (summary && summary.faceFoundFrames === 0) emptyReason = 'no_face';
      else if (summary?.speech && summary.speech.segments.length === 0) emptyReason = NO_SPEECH;
      if (emptyReason) chunks.length = 0;

      const document = buildLipReadingDocument({
        model: { name: deps.model.name, mode },
        chunks,
        mouthOpening: summary ? { fps: summary.fps, values: summary.mouthOpening } : undefined,
        reason: emptyReason,
      });
      const uploadStarted = clock();
      await deps.store.putText(result, JSON.stringify(document), 'application/json');
      const uploadMs = clock() - uploadStarted;

      const stats = {
        frames: summary?.totalFrames ?? 0,
        downloadMs: Math.round(downloadMs),
        preprocessMs: Math.round(preprocessMs),
        inferenceMs: Math.round(inferenceMs),
        modelWaitMs: Math.round(modelWaitMs),
        inferenceMsPerChunk,
        uploadMs: Math.round(uploadMs),
      };
      log.info('lipreading.json written', { result, segments: document.segments.length, reason: emptyReason, stats });
      return { result, stats, ...(emptyReason ? { emptyReason } : {}) };
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  };
}
