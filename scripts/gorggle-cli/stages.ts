/**
 * The pipeline's stages as an execution history shows them (GetExecutionHistory, AWS's
 * event shape): which are done, which run, how long each took and how often a branch polled.
 * The CLI draws its progress from this; the benchmarks read their per-stage times from it.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { STAGES, type Stage } from '../../functions/lib/contracts/pipeline';

export type StageProgressStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';

export interface StageProgress {
  stage: Stage;
  status: StageProgressStatus;
  startedAt?: Date;
  endedAt?: Date;
  /** Check tasks run so far (the polling loop's turns); 0 for extract and fuse. */
  checks: number;
  /** Why a branch failed, as its Pass state recorded it. */
  error?: string;
}

export type ExecutionProgressStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** Which stage a state of terraform/statemachine.asl.json belongs to. */
export function stageOfState(stateName: string): Stage | undefined {
  if (stateName === 'ExtractMedia') return 'extract';
  if (stateName === 'Fuse') return 'fuse';
  if (stateName.includes('Transcription')) return 'transcribe';
  if (stateName.includes('FaceDetection')) return 'faces';
  if (stateName.includes('LipReading')) return 'lipreading';
  return undefined;
}

/** The Pass states that end a branch output the branch result, whose status is final. */
const BRANCH_END = /(Finished|TimedOut|FailedWithCause|FailedWithoutCause)$/;

function parseOutput(output: string | undefined): { status?: string; error?: { name?: string; message?: string } } {
  if (!output) return {};
  try {
    return JSON.parse(output) as { status?: string; error?: { name?: string; message?: string } };
  } catch {
    return {};
  }
}

const asDate = (value: Date | undefined) => (value ? new Date(value) : undefined);

/** Events that end one attempt of a Lambda task in failure; a Catch may still exit the state. */
const ATTEMPT_FAILED = new Set(['LambdaFunctionFailed', 'LambdaFunctionTimedOut', 'TaskFailed', 'TaskTimedOut']);
const ATTEMPT_SUCCEEDED = new Set(['LambdaFunctionSucceeded', 'TaskSucceeded']);

/** "UnsupportedMediaError: The file is empty" from a failed attempt's error and cause. */
function attemptError(event: HistoryEvent): string {
  const details = (event.lambdaFunctionFailedEventDetails ??
    event.lambdaFunctionTimedOutEventDetails ??
    event.taskFailedEventDetails ??
    event.taskTimedOutEventDetails) as { error?: string; cause?: string } | undefined;
  let message = details?.cause;
  try {
    const cause = JSON.parse(details?.cause ?? '') as { errorMessage?: unknown };
    if (typeof cause.errorMessage === 'string') message = cause.errorMessage;
  } catch {
    // A plain-text cause.
  }
  return [details?.error, message].filter(Boolean).join(': ');
}

export function stageProgress(events: readonly HistoryEvent[]): StageProgress[] {
  const stages = new Map<Stage, StageProgress>(STAGES.map((stage) => [stage, { stage, status: 'pending', checks: 0 }]));
  /**
   * Extract and fuse run alone, so their Lambda events are theirs. A caught failure still
   * exits the state: the last attempt's outcome says whether it succeeded.
   */
  let solo: { stage: Stage; failure?: string } | undefined;
  for (const event of events) {
    if (solo && event.type && ATTEMPT_FAILED.has(event.type)) solo.failure = attemptError(event);
    if (solo && event.type && ATTEMPT_SUCCEEDED.has(event.type)) delete solo.failure;
    const timestamp = asDate(event.timestamp);
    const entered = event.stateEnteredEventDetails;
    const exited = event.stateExitedEventDetails;
    if (entered?.name) {
      const stage = stageOfState(entered.name);
      const progress = stage && stages.get(stage);
      if (!progress) continue;
      if (progress.status === 'pending') Object.assign(progress, { status: 'running', startedAt: timestamp });
      if (entered.name.startsWith('Check') && event.type === 'TaskStateEntered') progress.checks += 1;
      if (stage === 'extract' || stage === 'fuse') solo = { stage };
    } else if (exited?.name) {
      const stage = stageOfState(exited.name);
      const progress = stage && stages.get(stage);
      if (!progress) continue;
      if (stage === 'extract' || stage === 'fuse') {
        const failure = solo?.stage === stage ? solo.failure : undefined;
        Object.assign(progress, { status: failure === undefined ? 'succeeded' : 'failed', endedAt: timestamp });
        if (failure) progress.error = failure;
        solo = undefined;
      } else if (BRANCH_END.test(exited.name)) {
        const result = parseOutput(exited.output);
        const status = result.status === 'skipped' || result.status === 'failed' ? result.status : 'succeeded';
        Object.assign(progress, { status, endedAt: timestamp });
        if (result.error) progress.error = [result.error.name, result.error.message].filter(Boolean).join(': ');
      }
    } else if (
      event.type === 'ExecutionFailed' ||
      event.type === 'ExecutionAborted' ||
      event.type === 'ExecutionTimedOut'
    ) {
      for (const progress of stages.values()) {
        if (progress.status === 'running') Object.assign(progress, { status: 'failed', endedAt: timestamp });
      }
    }
  }
  // A job that failed in extract never reaches the other stages: they stay pending.
  return [...stages.values()];
}

/** Seconds a stage took, or took so far when `now` is given; undefined before it starts. */
export function stageSeconds(progress: StageProgress, now?: Date): number | undefined {
  if (!progress.startedAt) return undefined;
  const end = progress.endedAt ?? now;
  return end ? (end.getTime() - progress.startedAt.getTime()) / 1000 : undefined;
}

/** 0..1: each stage counts one, a running one half. */
export function completedFraction(stages: readonly StageProgress[]): number {
  const done = stages.reduce(
    (sum, stage) => sum + (stage.status === 'pending' ? 0 : stage.status === 'running' ? 0.5 : 1),
    0,
  );
  return stages.length ? done / stages.length : 0;
}
