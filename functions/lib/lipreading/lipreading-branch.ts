import type { S3Ref } from '../contracts/common';
import { speechDocumentSchema } from '../contracts/documents';
import type { AnalysedInput, BranchState } from '../contracts/pipeline';
import type { BranchOutcome, BranchProvider } from '../branches/run-branch-task';
import { secondsBetween } from '../branches/run-branch-task';
import { LipReadingUnavailableError } from '../errors';
import type { Clock, LipReadingClient, LipReadingHost, ObjectStore } from '../ports';

export interface LipReadingBranchOptions {
  host: LipReadingHost;
  /** A client for the server at `endpoint` (http://host:port). */
  clientFor: (endpoint: string) => LipReadingClient;
  clock: Clock;
  /** How long a cold GPU instance may take to accept jobs before the branch gives up. */
  warmupMaxSeconds: number;
  /** Reads speech.json, whose segments bound what the server decodes; without it the server finds speech itself. */
  objects?: ObjectStore;
}

const factString = (state: BranchState, name: string): string | undefined => {
  const value = state.facts?.[name];
  return typeof value === 'string' ? value : undefined;
};

/**
 * Lip reading on the GPU host, woken on demand. Warming up is a polling state, not an
 * error: until the server takes the job the branch stays running without a handle, and
 * each check tries again, bounded by warmupMaxSeconds.
 */
export function lipReadingBranch(options: LipReadingBranchOptions): BranchProvider {
  const stillWarming = (warmingSince: string | undefined, detail: string): BranchOutcome => {
    const now = options.clock.now();
    const since = warmingSince ?? now.toISOString();
    const waited = secondsBetween(since, now);
    if (waited > options.warmupMaxSeconds) {
      return {
        status: 'failed',
        error: {
          name: 'LipReadingUnavailableError',
          message:
            `The lip-reading server was not ready after ${waited} s (limit ${options.warmupMaxSeconds} s; last seen: ${detail}). ` +
            'Check the GPU instance and its gorggle-avhubert service, or raise AVHUBERT_WARMUP_MAX_SECONDS.',
        },
        facts: { warmupSeconds: waited },
      };
    }
    return { status: 'running', facts: { warmingSince: since, warmupDetail: detail } };
  };

  /** `warmingSince` is set once the branch has seen the host cold; then "unavailable" means "still booting". */
  async function submit(job: AnalysedInput, warmingSince: string | undefined): Promise<BranchOutcome> {
    if (!job.media.hasVideo || !job.media.video) return { status: 'skipped', reason: 'no video stream' };
    const video: S3Ref = job.media.video;
    const host = await options.host.ensureRunning();
    if (host.state === 'unavailable') return { status: 'skipped', reason: host.reason };
    if (host.state === 'warming') return stillWarming(warmingSince, host.detail);

    const mode = job.media.hasAudio ? 'avsr' : 'vsr';
    const segments = await speechSegments(job, options.objects);
    try {
      const client = options.clientFor(host.endpoint);
      // A server without a model package says so at once: lip reading is skipped, never retried.
      const health = await client.health();
      if (!health.model) return { status: 'skipped', reason: health.reason };
      const { id } = await client.submit({ video, mode, ...(segments ? { segments } : {}) });
      const warmupSeconds = warmingSince ? secondsBetween(warmingSince, options.clock.now()) : 0;
      return { status: 'running', handle: id, facts: { mode, endpoint: host.endpoint, warmupSeconds } };
    } catch (error) {
      if (warmingSince && error instanceof LipReadingUnavailableError) {
        return stillWarming(warmingSince, `server not answering yet (${error.message})`);
      }
      throw error;
    }
  }

  return {
    modality: 'lipreading',

    start: (job) => submit(job, undefined),

    async check(job, state): Promise<BranchOutcome> {
      if (!state.handle) return submit(job, factString(state, 'warmingSince') ?? state.startedAt);

      const endpoint = factString(state, 'endpoint') ?? (await readyEndpoint(options.host));
      const status = await options.clientFor(endpoint).status(state.handle);
      switch (status.state) {
        case 'queued':
        case 'running':
          return { status: 'running' };
        case 'succeeded':
          return { status: 'succeeded', output: status.result };
        case 'failed':
          return {
            status: 'failed',
            error: {
              name: 'LipReadingFailedError',
              message: `The lip-reading server could not read the lips: ${status.reason}. Check that the video shows a face, then upload it again.`,
            },
          };
      }
    },
  };
}

/** extract's speech segments (an empty list: no speech at all), or undefined when unknown. */
async function speechSegments(
  job: AnalysedInput,
  objects: ObjectStore | undefined,
): Promise<Array<{ start: number; end: number }> | undefined> {
  if (!objects || !job.media.speech) return undefined;
  const speech = speechDocumentSchema.parse(JSON.parse(await objects.getText(job.media.speech.output)));
  return speech.segments.map(({ start, end }) => ({ start, end }));
}

async function readyEndpoint(host: LipReadingHost): Promise<string> {
  const state = await host.ensureRunning();
  if (state.state === 'ready') return state.endpoint;
  const detail = state.state === 'warming' ? state.detail : state.reason;
  throw new LipReadingUnavailableError(`The lip-reading host went away while it had a job (${detail}).`);
}
