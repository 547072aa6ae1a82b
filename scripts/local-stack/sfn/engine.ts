/**
 * Step Functions executions over aws-local-stepfunctions: one registered state machine,
 * Lambda tasks run by the local runner, AWS-shaped histories, Wait states and retry
 * intervals shortened for local runs, and executions mirrored to disk so listing survives
 * a restart.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import {
  ExecutionAbortedError,
  ExecutionError,
  ExecutionTimeoutError,
  StateMachine,
  type RunOptions,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import type { LambdaErrorPayload } from '../lambda/runner';
import { LambdaFunctionError } from '../lambda/runner';
import { dataDetails, ExecutionHistory, type HistoryEvent } from './history';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** An API error with the name the SDK turns into its exception class. */
export class SfnApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = type;
  }
}

export interface RegisteredStateMachine {
  name: string;
  arn: string;
  roleArn: string;
  definition: StateMachineDefinition;
  createdAt: Date;
}

/** A polling loop waits this fraction of the time it has polled so far (see firstWaitMs). */
const POLL_FRACTION = 0.1;

/**
 * How long a polling loop's Wait lasts locally after `pollingMs` of polling: firstWaitMs at
 * first, then a tenth of the time so far, never more than waitMs. A job is seen finished
 * at most about a tenth of its time late, with few polls.
 */
export function pollingWaitMs(pollingMs: number, limits: { firstWaitMs: number; waitMs: number }): number {
  return Math.min(limits.waitMs, Math.max(limits.firstWaitMs, Math.round(pollingMs * POLL_FRACTION)));
}

export type TaskOutcome = { ok: true; payload: unknown } | { ok: false; error: LambdaErrorPayload };

export interface SfnEngineOptions {
  stateMachine: Omit<RegisteredStateMachine, 'createdAt'>;
  /** Runs a Task's Resource (a Lambda ARN) with its effective input. */
  invokeTask: (resource: string, input: unknown, signal: AbortSignal) => Promise<TaskOutcome>;
  /** Every Wait state lasts this long instead of what it says; undefined keeps real times. */
  waitMs?: number;
  /**
   * With waitMs: a polling loop's first Wait lasts this long (times the executions running),
   * and each later one a tenth of the time the loop has polled so far, up to waitMs. A short job is then seen finished
   * within a fraction of a second, a long one polls every waitMs. Undefined: every Wait lasts waitMs.
   */
  firstWaitMs?: number;
  /** Multiplies each retrier's IntervalSeconds (as a fixed interval); undefined keeps real backoff. */
  retryIntervalScale?: number;
  /** Executions are mirrored here as <name>.json. */
  persistDir?: string;
  /** Told when an execution ends (EventBridge's "Execution Status Change"); not while the engine closes. */
  onExecutionEnded?: (execution: {
    executionArn: string;
    stateMachineArn: string;
    name: string;
    status: ExecutionStatus;
    startDate: Date;
    stopDate?: Date;
    input?: string;
    output?: string;
    error?: string;
    cause?: string;
  }) => void;
  log?: {
    info(message: string, fields?: Record<string, unknown>): void;
    error(message: string, fields?: Record<string, unknown>): void;
  };
}

interface Execution {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  history: ExecutionHistory;
  /** Only while running. */
  runtime?: {
    abort: () => void;
    /** Set on stop: a retry the library still attempts must not invoke anything. */
    stopped: boolean;
    stopRequest?: { error?: string; cause?: string };
    inFlight: Map<string, AbortController>;
    taskCalls: Map<string, number>;
    settled: Promise<void>;
  };
}

type AnyState = Record<string, unknown> & { Type: string };

/** Every state of a definition, nested Parallel branches and Map processors included. */
export function walkStates(definition: { States?: Record<string, unknown> }): Array<[string, AnyState]> {
  const found: Array<[string, AnyState]> = [];
  for (const [name, raw] of Object.entries(definition.States ?? {})) {
    const state = raw as AnyState;
    found.push([name, state]);
    for (const branch of (state.Branches as Array<{ States?: Record<string, unknown> }> | undefined) ?? []) {
      found.push(...walkStates(branch));
    }
    const processor = (state.ItemProcessor ?? state.Iterator) as { States?: Record<string, unknown> } | undefined;
    if (processor) found.push(...walkStates(processor));
  }
  return found;
}

// AWS rejects whitespace, these characters and control characters in execution names.
const NAME_PATTERN = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/]{1,80}$/;
const validName = (name: string) => NAME_PATTERN.test(name) && !/\p{Cc}/u.test(name);
const MAX_INPUT_BYTES = 256 * 1024;
const json = (value: unknown) => JSON.stringify(value ?? null);

export class SfnEngine {
  readonly stateMachine: RegisteredStateMachine;
  private readonly machine: StateMachine;
  private readonly executions = new Map<string, Execution>();
  private readonly statesByName: Map<string, AnyState>;
  private closed = false;

  constructor(private readonly options: SfnEngineOptions) {
    this.stateMachine = { ...options.stateMachine, createdAt: new Date() };
    // checkArn off: local ARNs use the fake account; the definition is validated by test/infra.
    this.machine = new StateMachine(options.stateMachine.definition, {
      validationOptions: { checkArn: false, checkPaths: true },
    });
    this.statesByName = new Map(walkStates(options.stateMachine.definition as never));
    if (options.persistDir) this.load(options.persistDir);
  }

  // --- API operations ------------------------------------------------------------------------

  startExecution(request: { stateMachineArn?: string; name?: string; input?: string }) {
    if (this.closed) throw new SfnApiError('ServiceUnavailable', 'The local stack is shutting down.', 503);
    this.requireStateMachine(request.stateMachineArn);
    const name = request.name ?? randomUUID();
    if (!validName(name)) {
      throw new SfnApiError(
        'InvalidName',
        `Invalid Name: '${name}' (1-80 characters, no spaces or special characters)`,
      );
    }
    const input = request.input ?? '{}';
    let parsedInput: unknown;
    try {
      parsedInput = JSON.parse(input);
    } catch {
      throw new SfnApiError('InvalidExecutionInput', 'Invalid State Machine Execution Input: the input is not JSON');
    }
    if (Buffer.byteLength(input) > MAX_INPUT_BYTES) {
      throw new SfnApiError('InvalidExecutionInput', 'The execution input is larger than 256 KiB.');
    }
    const executionArn = this.executionArn(name);
    const existing = this.executions.get(executionArn);
    if (existing) {
      // STANDARD workflows: same name and input while running is the same start; anything else is a conflict.
      if (existing.status === 'RUNNING' && existing.input === input) {
        return { executionArn, startDate: existing.startDate };
      }
      throw new SfnApiError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const execution = this.run(executionArn, name, input, parsedInput);
    return { executionArn, startDate: execution.startDate };
  }

  describeExecution(request: { executionArn?: string }) {
    const execution = this.requireExecution(request.executionArn);
    return {
      executionArn: execution.executionArn,
      stateMachineArn: execution.stateMachineArn,
      name: execution.name,
      status: execution.status,
      startDate: execution.startDate,
      stopDate: execution.stopDate,
      input: execution.input,
      inputDetails: { included: true },
      output: execution.output,
      outputDetails: execution.output === undefined ? undefined : { included: true },
      error: execution.error,
      cause: execution.cause,
      redriveCount: 0,
      redriveStatus: 'NOT_REDRIVABLE',
    };
  }

  listExecutions(request: {
    stateMachineArn?: string;
    statusFilter?: ExecutionStatus;
    maxResults?: number;
    nextToken?: string;
  }) {
    this.requireStateMachine(request.stateMachineArn);
    const all = [...this.executions.values()]
      .filter((execution) => !request.statusFilter || execution.status === request.statusFilter)
      .sort((a, b) => b.startDate.getTime() - a.startDate.getTime());
    const { items, nextToken } = page(all, request.maxResults, request.nextToken, 100);
    return {
      executions: items.map((execution) => ({
        executionArn: execution.executionArn,
        stateMachineArn: execution.stateMachineArn,
        name: execution.name,
        status: execution.status,
        startDate: execution.startDate,
        stopDate: execution.stopDate,
        redriveCount: 0,
      })),
      nextToken,
    };
  }

  getExecutionHistory(request: {
    executionArn?: string;
    maxResults?: number;
    nextToken?: string;
    reverseOrder?: boolean;
    includeExecutionData?: boolean;
  }) {
    const execution = this.requireExecution(request.executionArn);
    const ordered = request.reverseOrder ? [...execution.history.events].reverse() : execution.history.events;
    const { items, nextToken } = page(ordered, request.maxResults, request.nextToken, 100);
    const events = request.includeExecutionData === false ? items.map(withoutData) : items;
    return { events, nextToken };
  }

  stopExecution(request: { executionArn?: string; error?: string; cause?: string }) {
    const execution = this.requireExecution(request.executionArn);
    if (execution.runtime) {
      execution.runtime.stopRequest = { error: request.error, cause: request.cause };
      execution.runtime.abort();
      execution.stopDate ??= new Date();
    }
    return { stopDate: execution.stopDate ?? new Date() };
  }

  describeStateMachine(request: { stateMachineArn?: string }) {
    const machine = this.requireStateMachine(request.stateMachineArn);
    return {
      stateMachineArn: machine.arn,
      name: machine.name,
      status: 'ACTIVE',
      definition: JSON.stringify(machine.definition),
      roleArn: machine.roleArn,
      type: 'STANDARD',
      creationDate: machine.createdAt,
    };
  }

  listStateMachines() {
    const machine = this.stateMachine;
    return {
      stateMachines: [
        { stateMachineArn: machine.arn, name: machine.name, type: 'STANDARD', creationDate: machine.createdAt },
      ],
    };
  }

  /** Waits until an execution has ended and its history is complete (for tests and the CLI). */
  async settled(executionArn: string): Promise<void> {
    await this.executions.get(executionArn)?.runtime?.settled;
  }

  get runningCount(): number {
    return [...this.executions.values()].filter((execution) => execution.status === 'RUNNING').length;
  }

  /** Aborts what is running (recorded as ABORTED) and writes everything to disk. */
  async close(): Promise<void> {
    this.closed = true;
    const running = [...this.executions.values()].flatMap((execution) =>
      execution.runtime ? [execution.runtime] : [],
    );
    for (const runtime of running) {
      runtime.stopRequest = {
        error: 'LocalStackStopped',
        cause: 'The local stack was stopped while this execution was running.',
      };
      runtime.abort();
    }
    await Promise.all(running.map((runtime) => runtime.settled));
  }

  // --- execution -------------------------------------------------------------------------------

  private run(executionArn: string, name: string, input: string, parsedInput: unknown): Execution {
    const execution: Execution = {
      executionArn,
      stateMachineArn: this.stateMachine.arn,
      name,
      status: 'RUNNING',
      startDate: new Date(),
      input,
      history: new ExecutionHistory(),
    };
    const inFlight = new Map<string, AbortController>();
    const taskCalls = new Map<string, number>();
    const run = this.machine.run(parsedInput as never, {
      overrides: this.overridesFor(execution, inFlight, taskCalls),
      context: this.contextFor(execution),
    });
    const abortTasks = () => {
      for (const controller of inFlight.values()) controller.abort();
    };
    const settled = Promise.all([
      this.recordEvents(execution, run.eventLogs, inFlight),
      run.result.then(
        (output) => ({ ok: true as const, output }),
        (error: unknown) => ({ ok: false as const, error }),
      ),
    ]).then(([, outcome]) => {
      abortTasks();
      this.finish(execution, outcome);
    });
    const runtime: NonNullable<Execution['runtime']> = {
      abort: () => {
        runtime.stopped = true;
        run.abort();
        abortTasks();
      },
      stopped: false,
      inFlight,
      taskCalls,
      settled,
    };
    execution.runtime = runtime;
    this.executions.set(executionArn, execution);
    this.persist(execution);
    this.options.log?.info('execution started', { executionArn });
    return execution;
  }

  private overridesFor(
    execution: Execution,
    inFlight: Map<string, AbortController>,
    taskCalls: Map<string, number>,
  ): RunOptions['overrides'] {
    const taskResourceLocalHandlers: Record<string, (input: unknown) => Promise<never>> = {};
    const waitTimeOverrides: Record<string, number> = {};
    /** When each polling loop (its Wait state) first waited in this execution. */
    const firstWaits = new Map<string, number>();
    const retryIntervalOverrides: Record<string, number[]> = {};
    for (const [stateName, state] of this.statesByName) {
      if (state.Type === 'Task') {
        taskResourceLocalHandlers[stateName] = (input) =>
          this.runTask(execution, stateName, state, input, inFlight, taskCalls) as Promise<never>;
      }
      const { waitMs, firstWaitMs } = this.options;
      if (state.Type === 'Wait' && waitMs !== undefined) {
        // Read by the library each time the state runs.
        Object.defineProperty(waitTimeOverrides, stateName, {
          enumerable: true,
          get: () => {
            if (firstWaitMs === undefined) return waitMs;
            const now = Date.now();
            const first = firstWaits.get(stateName) ?? now;
            firstWaits.set(stateName, first);
            // Jobs at once share the polling: twenty jobs' first polls come no faster than one's.
            return pollingWaitMs(now - first, { firstWaitMs: firstWaitMs * Math.max(1, this.runningCount), waitMs });
          },
        });
      }
      const retriers = state.Retry as Array<{ IntervalSeconds?: number }> | undefined;
      if (retriers && this.options.retryIntervalScale !== undefined) {
        const scale = this.options.retryIntervalScale;
        retryIntervalOverrides[stateName] = retriers.map((retrier) =>
          Math.round((retrier.IntervalSeconds ?? 1) * 1000 * scale),
        );
      }
    }
    return {
      taskResourceLocalHandlers: taskResourceLocalHandlers as never,
      waitTimeOverrides,
      retryIntervalOverrides,
    };
  }

  /** $$ for the execution; State.EnteredTime is read when a state's Parameters are evaluated. */
  private contextFor(execution: Execution) {
    return {
      Execution: {
        Id: execution.executionArn,
        Name: execution.name,
        RoleArn: this.stateMachine.roleArn,
        RedriveCount: 0,
      },
      StateMachine: { Id: this.stateMachine.arn, Name: this.stateMachine.name },
      State: {
        get EnteredTime() {
          return new Date().toISOString();
        },
        RetryCount: 0,
      },
    };
  }

  private async runTask(
    execution: Execution,
    stateName: string,
    state: AnyState,
    input: unknown,
    inFlight: Map<string, AbortController>,
    taskCalls: Map<string, number>,
  ): Promise<unknown> {
    const call = (taskCalls.get(stateName) ?? 0) + 1;
    taskCalls.set(stateName, call);
    await execution.history.waitForEntry(stateName, call);
    if (!execution.runtime || execution.runtime.stopped)
      throw new Error(`Task ${stateName} not run: the execution stopped`);
    const resource = String(state.Resource);
    const history = execution.history;
    history.add('LambdaFunctionScheduled', {
      resource,
      input: json(input),
      inputDetails: dataDetails,
      ...(typeof state.TimeoutSeconds === 'number' ? { timeoutInSeconds: state.TimeoutSeconds } : {}),
    });
    history.add('LambdaFunctionStarted');
    const controller = new AbortController();
    inFlight.set(stateName, controller);
    try {
      const outcome = await this.options.invokeTask(resource, input, controller.signal);
      // A stopped execution or a task timeout already moved on: record nothing more.
      if (controller.signal.aborted) throw new Error(`Task ${stateName} was abandoned`);
      if (outcome.ok) {
        history.add('LambdaFunctionSucceeded', { output: json(outcome.payload), outputDetails: dataDetails });
        return outcome.payload;
      }
      history.add('LambdaFunctionFailed', { error: outcome.error.errorType, cause: JSON.stringify(outcome.error) });
      throw new LambdaFunctionError(outcome.error);
    } finally {
      if (inFlight.get(stateName) === controller) inFlight.delete(stateName);
    }
  }

  /** Maps the library's event stream to AWS history events. */
  private async recordEvents(
    execution: Execution,
    events: AsyncGenerator<Record<string, unknown>> | AsyncGenerator<unknown>,
    inFlight: Map<string, AbortController>,
  ): Promise<void> {
    const history = execution.history;
    const failedContainers = new Set<string>();
    for await (const raw of events as AsyncGenerator<Record<string, unknown>>) {
      // State events carry the state; the others get an empty one they do not read.
      const state = (raw.state ?? { name: '', type: '' }) as {
        name: string;
        type: string;
        input?: unknown;
        output?: unknown;
      };
      switch (raw.type) {
        case 'ExecutionStarted':
          history.add('ExecutionStarted', {
            input: execution.input,
            inputDetails: dataDetails,
            roleArn: this.stateMachine.roleArn,
          });
          break;
        case 'StateEntered':
          history.add(`${state.type}StateEntered`, {
            name: state.name,
            input: json(state.input),
            inputDetails: dataDetails,
          });
          if (state.type === 'Parallel' || state.type === 'Map') {
            failedContainers.delete(state.name);
            history.add(`${state.type}StateStarted`);
          }
          history.noteEntry(state.name);
          break;
        case 'StateRetried':
          history.noteEntry(state.name);
          break;
        case 'StateFailed':
          if (state.type === 'Task' && raw.Error === 'States.Timeout') {
            inFlight.get(state.name)?.abort();
            history.add('LambdaFunctionTimedOut', { error: 'States.Timeout', cause: stringCause(raw.Cause) });
          } else if (state.type === 'Parallel' || state.type === 'Map') {
            failedContainers.add(state.name);
            history.add(`${state.type}StateFailed`);
          }
          break;
        case 'StateExited':
          if ((state.type === 'Parallel' || state.type === 'Map') && !failedContainers.has(state.name)) {
            history.add(`${state.type}StateSucceeded`);
          }
          history.add(`${state.type}StateExited`, {
            name: state.name,
            output: json(state.output),
            outputDetails: dataDetails,
          });
          break;
        case 'MapIterationStarted':
        case 'MapIterationSucceeded':
        case 'MapIterationFailed': {
          const parent = raw.parentState as { name: string };
          history.add(String(raw.type), { name: parent.name, index: raw.index });
          break;
        }
        case 'ExecutionSucceeded':
          history.add('ExecutionSucceeded', { output: json(raw.output), outputDetails: dataDetails });
          break;
        case 'ExecutionFailed':
          history.add('ExecutionFailed', { error: String(raw.Error), cause: stringCause(raw.Cause) });
          break;
        case 'ExecutionAborted': {
          const stop = execution.runtime?.stopRequest;
          history.add('ExecutionAborted', {
            ...(stop?.error ? { error: stop.error } : {}),
            ...(stop?.cause ? { cause: stop.cause } : {}),
          });
          break;
        }
        case 'ExecutionTimeout':
          history.add('ExecutionTimedOut', {
            error: 'States.Timeout',
            cause: 'The execution ran longer than its TimeoutSeconds.',
          });
          break;
        default:
          // ParallelBranch* and StateCaught have no AWS history event of their own.
          break;
      }
    }
  }

  private finish(execution: Execution, outcome: { ok: true; output: unknown } | { ok: false; error: unknown }) {
    execution.stopDate ??= new Date();
    if (outcome.ok && !execution.runtime?.stopRequest) {
      execution.status = 'SUCCEEDED';
      execution.output = json(outcome.output);
    } else if (!outcome.ok && outcome.error instanceof ExecutionTimeoutError) {
      execution.status = 'TIMED_OUT';
      execution.error = 'States.Timeout';
    } else if ((!outcome.ok && outcome.error instanceof ExecutionAbortedError) || execution.runtime?.stopRequest) {
      execution.status = 'ABORTED';
      execution.error = execution.runtime?.stopRequest?.error;
      execution.cause = execution.runtime?.stopRequest?.cause;
    } else if (!outcome.ok) {
      execution.status = 'FAILED';
      const failed = [...execution.history.events].reverse().find((event) => event.type === 'ExecutionFailed');
      const details = failed?.executionFailedEventDetails as { error?: string; cause?: string } | undefined;
      const error = outcome.error instanceof ExecutionError ? (outcome.error.cause as Error | undefined) : undefined;
      execution.error = details?.error ?? error?.name ?? 'States.Runtime';
      execution.cause = details?.cause ?? error?.message;
    }
    execution.runtime = undefined;
    this.persist(execution);
    this.options.log?.info('execution ended', { executionArn: execution.executionArn, status: execution.status });
    if (!this.closed) this.announceEnd(execution);
  }

  private announceEnd(execution: Execution): void {
    const { history: _history, runtime: _runtime, ...ended } = execution;
    try {
      this.options.onExecutionEnded?.(ended);
    } catch (error) {
      this.options.log?.error('could not announce the end of an execution', {
        executionArn: execution.executionArn,
        error,
      });
    }
  }

  // --- helpers ---------------------------------------------------------------------------------

  private executionArn(name: string): string {
    return `${this.stateMachine.arn.replace(':stateMachine:', ':execution:')}:${name}`;
  }

  private requireStateMachine(arn: string | undefined): RegisteredStateMachine {
    if (!arn) throw new SfnApiError('InvalidArn', 'stateMachineArn is required.');
    if (arn !== this.stateMachine.arn) {
      throw new SfnApiError(
        'StateMachineDoesNotExist',
        `State Machine Does Not Exist: '${arn}' (this local stack runs ${this.stateMachine.arn})`,
      );
    }
    return this.stateMachine;
  }

  private requireExecution(arn: string | undefined): Execution {
    if (!arn) throw new SfnApiError('InvalidArn', 'executionArn is required.');
    const execution = this.executions.get(arn);
    if (!execution) throw new SfnApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return execution;
  }

  private persist(execution: Execution): void {
    const dir = this.options.persistDir;
    if (!dir) return;
    try {
      mkdirSync(dir, { recursive: true });
      const { runtime: _runtime, history, ...rest } = execution;
      const file = path.join(dir, `${execution.name}.json`);
      writeFileSync(`${file}.tmp`, JSON.stringify({ ...rest, events: history.events }));
      renameSync(`${file}.tmp`, file);
    } catch (error) {
      this.options.log?.error('could not persist an execution', { executionArn: execution.executionArn, error });
    }
  }

  private load(dir: string): void {
    let files: string[] = [];
    try {
      files = readdirSync(dir).filter((file) => file.endsWith('.json'));
    } catch {
      return;
    }
    for (const file of files) {
      try {
        const stored = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Omit<Execution, 'history'> & {
          events: Array<Omit<HistoryEvent, 'timestamp'> & { timestamp: string }>;
          startDate: string;
          stopDate?: string;
        };
        if (stored.stateMachineArn !== this.stateMachine.arn) continue;
        const history = new ExecutionHistory(
          stored.events.map(
            (event): HistoryEvent => ({ ...event, timestamp: new Date(event.timestamp) }) as HistoryEvent,
          ),
        );
        const execution: Execution = {
          ...stored,
          startDate: new Date(stored.startDate),
          stopDate: stored.stopDate ? new Date(stored.stopDate) : undefined,
          history,
        };
        if (execution.status === 'RUNNING') {
          // It was running when the stack went away: nothing will finish it now.
          execution.status = 'ABORTED';
          execution.error = 'LocalStackStopped';
          execution.cause = 'The local stack stopped while this execution was running.';
          execution.stopDate = new Date();
          history.add('ExecutionAborted', { error: execution.error, cause: execution.cause });
          this.persist(execution);
          // Its job never heard: let the status change reach RecordFailure once the stack is up.
          setImmediate(() => this.announceEnd(execution));
        }
        this.executions.set(execution.executionArn, execution);
      } catch (error) {
        this.options.log?.error('skipped an unreadable execution file', { file, error });
      }
    }
  }
}

function stringCause(cause: unknown): string {
  if (typeof cause === 'string') return cause;
  if (cause instanceof Error) return cause.message;
  return json(cause);
}

function withoutData(event: HistoryEvent): HistoryEvent {
  const copy: HistoryEvent = { ...event };
  for (const [key, value] of Object.entries(copy)) {
    if (key.endsWith('EventDetails') && value && typeof value === 'object') {
      const { input: _input, output: _output, ...rest } = value as Record<string, unknown>;
      copy[key] = rest;
    }
  }
  return copy;
}

function page<T>(items: readonly T[], maxResults: number | undefined, nextToken: string | undefined, fallback: number) {
  const size = maxResults && maxResults > 0 ? Math.min(maxResults, 1000) : fallback;
  let start = 0;
  if (nextToken) {
    start = Number(Buffer.from(nextToken, 'base64url').toString('utf8'));
    if (!Number.isInteger(start) || start < 0)
      throw new SfnApiError('InvalidToken', 'Invalid Token: nextToken is not one this API gave out');
  }
  const slice = items.slice(start, start + size);
  const end = start + slice.length;
  return { items: slice, nextToken: end < items.length ? Buffer.from(String(end)).toString('base64url') : undefined };
}
