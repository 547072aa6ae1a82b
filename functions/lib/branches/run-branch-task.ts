import type { ErrorInfo, S3Ref } from '../contracts/common';
import type { StageRecord } from '../contracts/job';
import type { AnalysedInput, BranchState, BranchTaskInput, Modality, Stage } from '../contracts/pipeline';
import { GorggleError } from '../errors';
import type { Clock, JobRepository } from '../ports';

export type BranchFacts = NonNullable<BranchState['facts']>;

/** What a provider reports after one start or check; the runner turns it into a BranchState. */
export type BranchOutcome = (
  | { status: 'running'; handle?: string }
  | { status: 'succeeded'; output: S3Ref }
  | { status: 'failed'; error: ErrorInfo }
  | { status: 'skipped'; reason: string }
) & {
  /** Merged into the facts already on the state. */
  facts?: BranchFacts;
  /** Overrides the configured poll interval for the next Wait. */
  waitSeconds?: number;
};

/** One asynchronous analysis (Transcribe, Rekognition, lip reading) behind start and check. */
export interface BranchProvider {
  readonly modality: Modality;
  start(job: AnalysedInput): Promise<BranchOutcome>;
  /** Only called while the state is running. */
  check(job: AnalysedInput, state: BranchState): Promise<BranchOutcome>;
}

export interface BranchDeps {
  jobs: JobRepository;
  clock: Clock;
  pollIntervalSeconds: number;
}

const STAGE_OF: Record<Modality, Stage> = { transcribe: 'transcribe', faces: 'faces', lipreading: 'lipreading' };

/**
 * The bookkeeping every branch shares: attempts, timestamps, the next Wait, and the job
 * row's stage. Terminal errors end the branch as failed (degrade, don't die); transient
 * ones propagate so the state machine retries them.
 */
export async function runBranchTask(
  input: BranchTaskInput,
  provider: BranchProvider,
  deps: BranchDeps,
): Promise<BranchState> {
  // The Choice state stops looping on any other status; a stray check changes nothing.
  if (input.action === 'check' && input.state.status !== 'running') return input.state;

  const now = deps.clock.now().toISOString();
  const previous: BranchState =
    input.action === 'start'
      ? {
          modality: provider.modality,
          status: 'running',
          attempts: 0,
          waitSeconds: deps.pollIntervalSeconds,
          startedAt: now,
        }
      : { ...input.state, attempts: input.state.attempts + 1 };

  const outcome = await settle(() =>
    input.action === 'start' ? provider.start(input.job) : provider.check(input.job, previous),
  );
  const state = applyOutcome(previous, outcome, now, deps.pollIntervalSeconds);
  await deps.jobs.updateStage(input.job.jobId, STAGE_OF[provider.modality], stageRecordOf(state));
  return state;
}

async function settle(step: () => Promise<BranchOutcome>): Promise<BranchOutcome> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof GorggleError && !error.retryable) {
      return { status: 'failed', error: { name: error.name, message: error.message } };
    }
    throw error;
  }
}

function applyOutcome(previous: BranchState, outcome: BranchOutcome, now: string, pollSeconds: number): BranchState {
  const facts = outcome.facts || previous.facts ? { ...previous.facts, ...outcome.facts } : undefined;
  const base: BranchState = {
    modality: previous.modality,
    status: outcome.status,
    attempts: previous.attempts,
    waitSeconds: Math.max(1, Math.round(outcome.waitSeconds ?? pollSeconds)),
    startedAt: previous.startedAt,
    ...(facts ? { facts } : {}),
  };
  switch (outcome.status) {
    case 'running': {
      const handle = outcome.handle ?? previous.handle;
      return handle ? { ...base, handle } : base;
    }
    case 'succeeded':
      return withHandle({ ...base, endedAt: now, output: outcome.output }, previous.handle);
    case 'failed':
      return withHandle({ ...base, endedAt: now, error: outcome.error }, previous.handle);
    case 'skipped':
      return { ...base, endedAt: now, reason: outcome.reason };
  }
}

const withHandle = (state: BranchState, handle: string | undefined): BranchState =>
  handle ? { ...state, handle } : state;

/** The job row's view of a branch. A skip reason travels as a fact. */
export function stageRecordOf(state: BranchState): StageRecord {
  const facts = state.reason ? { ...state.facts, reason: state.reason } : state.facts;
  return {
    status: state.status,
    startedAt: state.startedAt,
    ...(state.endedAt ? { endedAt: state.endedAt } : {}),
    ...(state.error ? { error: state.error } : {}),
    ...(facts && Object.keys(facts).length ? { facts } : {}),
  };
}

/** Seconds between two ISO timestamps, rounded to whole seconds. */
export function secondsBetween(fromIso: string, to: Date): number {
  const seconds = Math.round((to.getTime() - Date.parse(fromIso)) / 1000);
  return Number.isFinite(seconds) ? Math.max(0, seconds) : 0;
}
