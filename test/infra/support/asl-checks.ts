/**
 * Checks of a rendered state machine definition. Each is a pure function that returns the
 * problems it finds (empty when all is well), so tests can also feed it broken copies.
 */
import aslValidator from 'asl-validator';

export type State = Record<string, unknown>;
export interface Definition {
  StartAt?: string;
  States?: Record<string, State>;
  [key: string]: unknown;
}

interface VisitedState {
  name: string;
  state: State;
  /** Where the state sits, e.g. Analyse/branch 1/StartFaceDetection. */
  path: string;
}

/** Every state, in every Parallel branch and Map processor, depth first. */
export function allStates(definition: Definition, prefix = ''): VisitedState[] {
  const visited: VisitedState[] = [];
  for (const [name, state] of Object.entries(definition.States ?? {})) {
    const path = `${prefix}${name}`;
    visited.push({ name, state, path });
    (state.Branches as Definition[] | undefined)?.forEach((branch, index) => {
      visited.push(...allStates(branch, `${path}/branch ${index}/`));
    });
    const processor = (state.ItemProcessor ?? state.Iterator) as Definition | undefined;
    if (processor) visited.push(...allStates(processor, `${path}/items/`));
  }
  return visited;
}

/** Every States map (the top level and each branch), for checks that work per scope. */
function allScopes(definition: Definition, prefix = ''): Array<{ states: Record<string, State>; prefix: string }> {
  const scopes = [{ states: definition.States ?? {}, prefix }];
  for (const [name, state] of Object.entries(definition.States ?? {})) {
    (state.Branches as Definition[] | undefined)?.forEach((branch, index) => {
      scopes.push(...allScopes(branch, `${prefix}${name}/branch ${index}/`));
    });
    const processor = (state.ItemProcessor ?? state.Iterator) as Definition | undefined;
    if (processor) scopes.push(...allScopes(processor, `${prefix}${name}/items/`));
  }
  return scopes;
}

interface Retrier {
  ErrorEquals?: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: string;
}
interface Catcher {
  ErrorEquals?: string[];
  Next?: string;
}

const retriersOf = (state: State) => (state.Retry as Retrier[] | undefined) ?? [];
const catchersOf = (state: State) => (state.Catch as Catcher[] | undefined) ?? [];

/** asl-validator's verdict: schema, transitions, terminal states, paths. */
export function aslSchemaProblems(definition: Definition): string[] {
  const result = aslValidator(structuredClone(definition), { checkArn: true, checkPaths: true });
  return result.isValid ? [] : result.errors.map((error) => `${error['Error code']}: ${error.Message}`);
}

/** Every Task invokes a function the module deploys (the resource is that function's ARN). */
export function taskResourceProblems(definition: Definition, functionByArn: ReadonlyMap<string, string>): string[] {
  return allStates(definition)
    .filter(({ state }) => state.Type === 'Task')
    .flatMap(({ path, state }) =>
      typeof state.Resource === 'string' && functionByArn.has(state.Resource)
        ? []
        : [`${path}: Resource ${JSON.stringify(state.Resource)} is not a function the Terraform module deploys`],
    );
}

/** Every matched error name is defined in errors.ts, and no terminal error is ever retried. */
export function errorNameProblems(
  definition: Definition,
  names: { known: ReadonlySet<string>; terminal: readonly string[] },
): string[] {
  const problems: string[] = [];
  for (const { path, state } of allStates(definition)) {
    for (const [kind, list] of [
      ['Retry', retriersOf(state)],
      ['Catch', catchersOf(state)],
    ] as const) {
      for (const entry of list) {
        for (const name of entry.ErrorEquals ?? []) {
          if (!names.known.has(name))
            problems.push(`${path}: ${kind} matches "${name}", which errors.ts does not define`);
          if (kind === 'Retry' && names.terminal.includes(name)) {
            problems.push(`${path}: Retry matches the terminal error "${name}"; terminal errors must never be retried`);
          }
        }
      }
    }
  }
  return problems;
}

export interface ResiliencePolicy {
  throttled: readonly string[];
  transient: readonly string[];
  /** A function that ran out of time: retried, but at most this often (a truly long task must not burn its timeout many times). */
  timeouts: readonly string[];
  maxTimeoutAttempts: number;
  /** Throttled retries wait at least this long at first: quotas clear in minutes. */
  minThrottledIntervalSeconds: number;
  /** Tasks that may only retry (the failure handler itself has nowhere to go). */
  retryOnly: readonly string[];
}

/** Tasks retry throttled and transient errors with jitter, catch everything, and time out. */
export function taskResilienceProblems(definition: Definition, policy: ResiliencePolicy): string[] {
  const problems: string[] = [];
  for (const { name, path, state } of allStates(definition)) {
    if (state.Type !== 'Task' && state.Type !== 'Parallel') continue;
    const catchesAll = catchersOf(state).some((catcher) => catcher.ErrorEquals?.includes('States.ALL'));
    if (!catchesAll && !policy.retryOnly.includes(name)) {
      problems.push(`${path}: no Catch for States.ALL, so a failure here ends the execution unrecorded`);
    }
    if (state.Type !== 'Task') continue;
    if (state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) {
      problems.push(`${path}: no TimeoutSeconds`);
    }
    const retriers = retriersOf(state);
    const retried = new Set(retriers.flatMap((retrier) => retrier.ErrorEquals ?? []));
    for (const missing of [...policy.throttled, ...policy.transient, ...policy.timeouts].filter(
      (error) => !retried.has(error),
    )) {
      problems.push(`${path}: ${missing} is not retried`);
    }
    for (const retrier of retriers) {
      const label = `${path}: retrier [${(retrier.ErrorEquals ?? []).join(', ')}]`;
      if ((retrier.ErrorEquals ?? []).some((error) => error === 'States.ALL' || error === 'States.TaskFailed')) {
        problems.push(`${label} retries every error, terminal ones included`);
      }
      if (retrier.JitterStrategy !== 'FULL') problems.push(`${label} has no JitterStrategy FULL`);
      if (retrier.MaxDelaySeconds === undefined) problems.push(`${label} has no MaxDelaySeconds cap`);
      const timeout = (retrier.ErrorEquals ?? []).filter((error) => policy.timeouts.includes(error));
      if (timeout.length && (retrier.MaxAttempts ?? 3) > policy.maxTimeoutAttempts) {
        problems.push(
          `${label} retries a function timeout (${timeout.join(', ')}) ${retrier.MaxAttempts ?? 3} times, more than ${policy.maxTimeoutAttempts}`,
        );
      }
      const throttled = (retrier.ErrorEquals ?? []).some((error) => policy.throttled.includes(error));
      if (throttled && (retrier.IntervalSeconds ?? 1) < policy.minThrottledIntervalSeconds) {
        problems.push(`${label} waits under ${policy.minThrottledIntervalSeconds} s before retrying a throttled call`);
      }
    }
  }
  return problems;
}

type Rule = Record<string, unknown>;

/** Whether a Choice rule (with And/Or/Not nesting) caps `…attempts` with a numeric comparison. */
function comparesAttempts(rule: Rule): boolean {
  const nested = [...((rule.And as Rule[] | undefined) ?? []), ...((rule.Or as Rule[] | undefined) ?? [])];
  if (rule.And) return nested.some(comparesAttempts);
  if (rule.Or) return nested.every(comparesAttempts);
  return (
    typeof rule.Variable === 'string' &&
    /\.attempts$/.test(rule.Variable) &&
    ['NumericLessThan', 'NumericLessThanEquals', 'NumericLessThanPath', 'NumericLessThanEqualsPath'].some(
      (operator) => operator in rule,
    )
  );
}

/**
 * Every loop is bounded: once the Choice edges guarded by an attempts comparison are cut,
 * no cycle is left.
 */
export function pollingLoopProblems(definition: Definition): string[] {
  const problems: string[] = [];
  for (const { states, prefix } of allScopes(definition)) {
    const edges = new Map<string, string[]>();
    for (const [name, state] of Object.entries(states)) {
      const targets: string[] = [];
      if (typeof state.Next === 'string') targets.push(state.Next);
      if (typeof state.Default === 'string') targets.push(state.Default);
      for (const catcher of catchersOf(state)) if (catcher.Next) targets.push(catcher.Next);
      for (const rule of (state.Choices as Rule[] | undefined) ?? []) {
        if (typeof rule.Next === 'string' && !comparesAttempts(rule)) targets.push(rule.Next);
      }
      edges.set(name, targets);
    }
    const visiting = new Set<string>();
    const done = new Set<string>();
    const visit = (name: string, trail: string[]) => {
      if (done.has(name)) return;
      if (visiting.has(name)) {
        const cycle = [...trail.slice(trail.indexOf(name)), name];
        problems.push(`${prefix}${cycle.join(' -> ')}: a loop with no Choice that compares attempts`);
        return;
      }
      visiting.add(name);
      for (const next of edges.get(name) ?? []) visit(next, [...trail, name]);
      visiting.delete(name);
      done.add(name);
    };
    for (const name of edges.keys()) visit(name, []);
  }
  return problems;
}

/** Each Parallel branch reports the modality of its position (Fuse reads them in order). */
export function branchOrderProblems(definition: Definition, modalities: readonly string[]): string[] {
  const problems: string[] = [];
  for (const { path, state } of allStates(definition)) {
    if (state.Type !== 'Parallel') continue;
    const branches = (state.Branches as Definition[] | undefined) ?? [];
    if (branches.length !== modalities.length) {
      problems.push(`${path}: ${branches.length} branches, but there are ${modalities.length} modalities`);
    }
    branches.forEach((branch, index) => {
      const reported = new Set(
        allStates(branch)
          .map(({ state: inner }) => (inner.Parameters as Record<string, unknown> | undefined)?.modality)
          .filter((modality): modality is string => typeof modality === 'string'),
      );
      const expected = modalities[index];
      if (reported.size !== 1 || !reported.has(expected ?? '')) {
        problems.push(`${path}/branch ${index}: reports modality [${[...reported].join(', ')}], expected ${expected}`);
      }
    });
  }
  return problems;
}

/** History events one pass through a state adds on AWS (a Lambda Task: entered, scheduled, started, succeeded, exited). */
const EVENTS_PER_STATE: Readonly<Record<string, number>> = {
  Task: 5,
  Parallel: 4,
  Map: 4,
  Wait: 2,
  Choice: 2,
  Pass: 2,
  Succeed: 2,
  Fail: 1,
};

/** States on a path from `from` back to `to` (inclusive), following Next, Default and Choice edges. */
function statesOnPathsBack(states: Record<string, State>, from: string, to: string): Set<string> {
  const onPath = new Set<string>();
  const visit = (name: string, trail: string[]): void => {
    if (name === to) {
      for (const state of [...trail, name]) onPath.add(state);
      return;
    }
    if (trail.includes(name) || !states[name]) return;
    const state = states[name]!;
    const next = [state.Next, state.Default, ...((state.Choices as Rule[] | undefined) ?? []).map((rule) => rule.Next)];
    for (const target of next) if (typeof target === 'string') visit(target, [...trail, name]);
  };
  visit(from, []);
  return onPath;
}

/**
 * The history events of an execution in which every polling loop runs all its attempts and
 * nothing is retried: each state once, plus each loop's states once per attempt.
 */
export function worstCaseHistoryEvents(definition: Definition, attempts: number): number {
  let events = 2; // ExecutionStarted, and how it ended
  for (const { states } of allScopes(definition)) {
    for (const state of Object.values(states)) events += EVENTS_PER_STATE[String(state.Type)] ?? 2;
    for (const [name, state] of Object.entries(states)) {
      for (const rule of (state.Choices as Rule[] | undefined) ?? []) {
        if (!comparesAttempts(rule) || typeof rule.Next !== 'string') continue;
        const loop = statesOnPathsBack(states, rule.Next, name);
        const perAttempt = [...loop].reduce(
          (sum, member) => sum + (EVENTS_PER_STATE[String(states[member]?.Type)] ?? 2),
          0,
        );
        events += attempts * perAttempt;
      }
    }
  }
  return events;
}
