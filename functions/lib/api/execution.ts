import type { Stage } from '../contracts/pipeline';
import type { HistoryEvent } from './ports';
import type { ExecutionStatus, ExecutionSummary, StateSummary } from './views';
import { publicFailure } from './public-errors';

/** Which pipeline stage a state of terraform/statemachine.asl.json belongs to. */
const STAGE_OF_STATE: ReadonlyArray<[RegExp, Stage]> = [
  [/^ExtractMedia$/, 'extract'],
  [/Transcription/, 'transcribe'],
  [/FaceDetection/, 'faces'],
  [/LipReading/, 'lipreading'],
  [/^Fuse$/, 'fuse'],
];

export function stageOfState(name: string): Stage | undefined {
  return STAGE_OF_STATE.find(([pattern]) => pattern.test(name))?.[1];
}

const TERMINAL_EXECUTION_EVENTS: Record<string, ExecutionStatus> = {
  ExecutionSucceeded: 'SUCCEEDED',
  ExecutionFailed: 'FAILED',
  ExecutionTimedOut: 'TIMED_OUT',
  ExecutionAborted: 'ABORTED',
};

/** Events that start one attempt of a task; more than one per entry means a Retry. */
const isAttemptStart = (type: string) => type === 'LambdaFunctionScheduled' || type === 'TaskScheduled';
const isFailure = (type: string) => /(Failed|TimedOut)$/.test(type) && !type.startsWith('Execution');

interface OpenEntry {
  enteredAt: number;
  attempts: number;
}

interface Accumulator extends StateSummary {
  open?: OpenEntry;
}

/**
 * Summarises an execution history per state: how often each was entered and left, retries,
 * errors and time spent. Parallel branches interleave in the history, so every event is
 * attributed to a state by following previousEventId back to the StateEntered it belongs to.
 */
export function summariseExecution(
  executionArn: string,
  events: readonly HistoryEvent[],
  truncated: boolean,
): ExecutionSummary {
  const stateOfEvent = new Map<number, string>();
  const states = new Map<string, Accumulator>();
  let status: ExecutionStatus = 'RUNNING';
  let startedAt: string | undefined;
  let stoppedAt: string | undefined;

  for (const event of events) {
    const at = event.timestamp.getTime();
    const iso = event.timestamp.toISOString();
    if (event.type === 'ExecutionStarted') startedAt = iso;
    const terminal = TERMINAL_EXECUTION_EVENTS[event.type];
    if (terminal) {
      status = terminal;
      stoppedAt = iso;
    }

    const entered = event.type.endsWith('StateEntered') ? event.stateEnteredEventDetails?.name : undefined;
    if (entered) {
      stateOfEvent.set(event.id, entered);
      const state = states.get(entered) ?? newState(entered, iso);
      state.entered += 1;
      state.status = 'running';
      state.open = { enteredAt: at, attempts: 0 };
      states.set(entered, state);
      continue;
    }

    const name =
      (event.type.endsWith('StateExited') ? event.stateExitedEventDetails?.name : undefined) ??
      (event.previousEventId !== undefined ? stateOfEvent.get(event.previousEventId) : undefined);
    if (!name) continue;
    const state = states.get(name);
    if (!state) continue;

    if (event.type.endsWith('StateExited')) {
      // A state's events end here; what follows belongs to the next state.
      state.exited += 1;
      state.lastExitedAt = iso;
      if (state.open) state.durationMs += Math.max(0, at - state.open.enteredAt);
      if (state.status === 'running') state.status = 'succeeded';
      state.open = undefined;
      continue;
    }
    stateOfEvent.set(event.id, name);
    if (isAttemptStart(event.type) && state.open) {
      state.open.attempts += 1;
      if (state.open.attempts > 1) state.retries += 1;
      // A retried attempt that now runs again is no longer failed.
      state.status = 'running';
    }
    if (isFailure(event.type)) {
      const details = publicFailure(failureDetails(event));
      state.errors.push({ error: details.error, ...(details.cause ? { cause: details.cause } : {}), at: iso });
      state.status = 'failed';
    }
  }

  return {
    executionArn,
    status,
    ...(startedAt ? { startedAt } : {}),
    ...(stoppedAt ? { stoppedAt } : {}),
    states: [...states.values()].map(({ open: _open, ...state }) => state),
    truncated,
  };
}

function newState(name: string, enteredAt: string): Accumulator {
  const stage = stageOfState(name);
  return {
    name,
    ...(stage ? { stage } : {}),
    status: 'running',
    entered: 0,
    exited: 0,
    retries: 0,
    errors: [],
    firstEnteredAt: enteredAt,
    durationMs: 0,
  };
}

function failureDetails(event: HistoryEvent): { error: string; cause?: string } {
  for (const [key, value] of Object.entries(event)) {
    if (!key.endsWith('EventDetails') || !value || typeof value !== 'object') continue;
    const { error, cause } = value as { error?: string; cause?: string };
    if (error || cause) return { error: error ?? event.type, ...(cause ? { cause: readableCause(cause) } : {}) };
  }
  return { error: event.type };
}

/** A Lambda's Cause is its error JSON; the message inside is what a person wants to read. */
function readableCause(cause: string): string {
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // Not JSON: show it as it is.
  }
  return cause;
}
