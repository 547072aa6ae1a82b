/**
 * EventBridge's default bus for the local stack: every aws_cloudwatch_event_rule with an
 * event_pattern in terraform/ is matched (EventBridge's own pattern semantics) against the
 * events the local services put, and delivered to its Lambda targets with the target's retry
 * policy. Any source may put events; Step Functions puts "Execution Status Change".
 */
import { randomUUID } from 'node:crypto';
import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Lazy, type Value } from '../../terraform/hcl-expression';
import type { EvaluatedModule } from '../../terraform/module';

export interface AwsEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

export const EXECUTION_STATUS_CHANGE = 'Step Functions Execution Status Change';

export interface ExecutionStatusChangeEvent extends AwsEvent {
  'detail-type': typeof EXECUTION_STATUS_CHANGE;
  source: 'aws.states';
  detail: {
    executionArn: string;
    stateMachineArn: string;
    name: string;
    status: string;
    startDate: number;
    stopDate: number | null;
    input: string | null;
    output: string | null;
    error: string | null;
    cause: string | null;
  };
}

export interface EventTarget {
  /** The function's key in the module (aws_lambda_function.this["<key>"]), as the local stack runs it. */
  function: string;
  maxRetryAttempts: number;
  maxEventAgeSec: number;
}

export interface EventRule {
  name: string;
  pattern: Record<string, unknown>;
  targets: EventTarget[];
  /** Targets that are not Lambda functions of the module: the local stack cannot deliver to them. */
  otherTargets: string[];
}

/** What a target gets when it sets no retry_policy (EventBridge's defaults). */
const DEFAULT_RETRY = { maxRetryAttempts: 185, maxEventAgeSec: 86_400 };

/** A resource's instances with their keys: for_each keys, count indexes, or none for a single one. */
function instancesOf(value: Value): Array<[string | undefined, Lazy]> {
  if (value instanceof Lazy) return [[undefined, value]];
  const entries = Array.isArray(value)
    ? value.map((item, index) => [String(index), item] as const)
    : Object.entries(value ?? {});
  return entries.flatMap(([key, item]) => (item instanceof Lazy ? [[key, item] as [string, Lazy]] : []));
}

const asList = (value: Value): Lazy[] => instancesOf(value).map(([, instance]) => instance);

/** Every function of the module by ARN: for_each instances by their key, others by resource name. */
function lambdaFunctionsByArn(module: EvaluatedModule): Map<string, string> {
  const byArn = new Map<string, string>();
  for (const name of module.names('resource', 'aws_lambda_function')) {
    const value = module.instances('resource', 'aws_lambda_function', name);
    const byKey = !(value instanceof Lazy) && !Array.isArray(value);
    for (const [key, instance] of instancesOf(value)) byArn.set(String(instance.get('arn')), byKey && key ? key : name);
  }
  return byArn;
}

/** The module's rules that match events (scheduled rules are not run locally), with their targets. */
export function eventRules(module: EvaluatedModule): EventRule[] {
  const functionOfArn = lambdaFunctionsByArn(module);
  const targets = module.names('resource', 'aws_cloudwatch_event_target').flatMap((name) =>
    asList(module.instances('resource', 'aws_cloudwatch_event_target', name)).map((target) => {
      const retry = (target.get('retry_policy') as Array<Record<string, Value>> | null)?.[0];
      const arn = String(target.get('arn'));
      return {
        rule: String(target.get('rule')),
        arn,
        fn: functionOfArn.get(arn),
        maxRetryAttempts: Number(retry?.maximum_retry_attempts ?? DEFAULT_RETRY.maxRetryAttempts),
        maxEventAgeSec: Number(retry?.maximum_event_age_in_seconds ?? DEFAULT_RETRY.maxEventAgeSec),
      };
    }),
  );
  const withPattern = module
    .names('resource', 'aws_cloudwatch_event_rule')
    .filter((resource) => module.block('resource', 'aws_cloudwatch_event_rule', resource)?.event_pattern !== undefined);
  return withPattern.flatMap((resource) =>
    asList(module.instances('resource', 'aws_cloudwatch_event_rule', resource)).map((rule) => {
      const pattern = String(rule.get('event_pattern'));
      const name = String(rule.get('name'));
      const mine = targets.filter((target) => target.rule === name);
      return {
        name,
        pattern: JSON.parse(pattern) as Record<string, unknown>,
        targets: mine.flatMap(({ fn, maxRetryAttempts, maxEventAgeSec }) =>
          fn ? [{ function: fn, maxRetryAttempts, maxEventAgeSec }] : [],
        ),
        otherTargets: mine.flatMap((target) => (target.fn ? [] : [target.arn])),
      };
    }),
  );
}

/**
 * EventBridge's matching: every field the pattern names must match; a list matches when the
 * event's value (or one of its values) equals one of its entries or meets a content filter
 * (prefix, suffix, anything-but, exists, numeric); an object descends into the field.
 */
export function matchesPattern(pattern: Record<string, unknown>, event: object): boolean {
  return Object.entries(pattern).every(([field, expected]) => {
    const present = field in event;
    const actual = (event as Record<string, unknown>)[field];
    if (Array.isArray(expected)) {
      const values: unknown[] = Array.isArray(actual) ? actual : [actual];
      return expected.some((candidate) => values.some((value) => matchesValue(candidate, value, present)));
    }
    if (expected && typeof expected === 'object') {
      return (
        Boolean(actual && typeof actual === 'object') &&
        matchesPattern(expected as Record<string, unknown>, actual as object)
      );
    }
    throw new Error(`An event pattern's values must be lists or objects; ${field} is ${JSON.stringify(expected)}.`);
  });
}

function matchesValue(candidate: unknown, value: unknown, present: boolean): boolean {
  if (candidate === null || typeof candidate !== 'object') return present && candidate === value;
  const filter = candidate as Record<string, unknown>;
  if ('exists' in filter) return filter.exists === present;
  if (!present) return false;
  if ('prefix' in filter) return typeof value === 'string' && value.startsWith(String(filter.prefix));
  if ('suffix' in filter) return typeof value === 'string' && value.endsWith(String(filter.suffix));
  if ('anything-but' in filter) {
    const excluded = filter['anything-but'];
    if (excluded && typeof excluded === 'object' && !Array.isArray(excluded)) {
      return !matchesValue(excluded, value, present);
    }
    return !(Array.isArray(excluded) ? excluded : [excluded]).includes(value);
  }
  if ('numeric' in filter && Array.isArray(filter.numeric))
    return typeof value === 'number' && numeric(filter.numeric, value);
  throw new Error(`The local EventBridge does not know the filter ${JSON.stringify(filter)}.`);
}

function numeric(conditions: unknown[], value: number): boolean {
  for (let index = 0; index + 1 < conditions.length; index += 2) {
    const bound = Number(conditions[index + 1]);
    const holds = {
      '<': value < bound,
      '<=': value <= bound,
      '=': value === bound,
      '>': value > bound,
      '>=': value >= bound,
    }[String(conditions[index])];
    if (holds === undefined) throw new Error(`Unknown numeric operator ${JSON.stringify(conditions[index])}.`);
    if (!holds) return false;
  }
  return true;
}

/** The event Step Functions sends to EventBridge when an execution changes status. */
export function statusChangeEvent(execution: {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: string;
  startDate: Date;
  stopDate?: Date;
  input?: string;
  output?: string;
  error?: string;
  cause?: string;
}): ExecutionStatusChangeEvent {
  const [, , , region = '', account = ''] = execution.stateMachineArn.split(':');
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': EXECUTION_STATUS_CHANGE,
    source: 'aws.states',
    account,
    time: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    region,
    resources: [execution.executionArn],
    detail: {
      executionArn: execution.executionArn,
      stateMachineArn: execution.stateMachineArn,
      name: execution.name,
      status: execution.status,
      startDate: execution.startDate.getTime(),
      stopDate: execution.stopDate?.getTime() ?? null,
      input: execution.input ?? null,
      output: execution.output ?? null,
      error: execution.error ?? null,
      cause: execution.cause ?? null,
    },
  };
}

export interface EventBusOptions {
  /** First retry delay; it doubles each time, up to 30 s (AWS waits longer, from about a minute). */
  retryBaseMs?: number;
  /** Events given up on are appended here as JSON lines (the targets' dead-letter queue on AWS). */
  deadLetterFile?: string;
}

export class LocalEventBus {
  private readonly deliveries = new Set<Promise<void>>();
  private readonly closing = new AbortController();

  constructor(
    private readonly rules: readonly EventRule[],
    /** Runs a target function; a throw is a failed delivery, retried as the target's policy says. */
    private readonly invoke: (fn: string, event: AwsEvent) => Promise<void>,
    private readonly log: {
      info(message: string, fields?: Record<string, unknown>): void;
      error(message: string, fields?: Record<string, unknown>): void;
    },
    private readonly options: EventBusOptions = {},
  ) {}

  put(event: AwsEvent): void {
    if (this.closing.signal.aborted) return;
    for (const rule of this.rules.filter((candidate) => matchesPattern(candidate.pattern, event))) {
      for (const arn of rule.otherTargets) {
        this.log.error('the local stack cannot deliver to this target', { rule: rule.name, target: arn });
      }
      for (const target of rule.targets) {
        const delivery = this.deliver(rule.name, target, event).finally(() => this.deliveries.delete(delivery));
        this.deliveries.add(delivery);
      }
    }
  }

  /** Resolves once every event put so far has been delivered or given up on. */
  async idle(): Promise<void> {
    while (this.deliveries.size) await Promise.allSettled([...this.deliveries]);
  }

  /** Stops retrying (events still failing are given up on) and waits for deliveries under way. */
  async close(): Promise<void> {
    this.closing.abort();
    await this.idle();
  }

  private async deliver(rule: string, target: EventTarget, event: AwsEvent): Promise<void> {
    const started = Date.now();
    const where = { rule, function: target.function, eventId: event.id, detailType: event['detail-type'] };
    for (let attempt = 0; attempt <= target.maxRetryAttempts; attempt++) {
      if (attempt > 0) {
        const delayMs = Math.min(30_000, (this.options.retryBaseMs ?? 500) * 2 ** (attempt - 1));
        if (Date.now() - started + delayMs > target.maxEventAgeSec * 1000) break;
        const waited = await sleep(delayMs, true, { signal: this.closing.signal, ref: false }).catch(() => false);
        if (!waited) break;
      }
      try {
        await this.invoke(target.function, event);
        this.log.info('event delivered', { ...where, attempt });
        return;
      } catch (error) {
        this.log.error('event delivery failed', { ...where, attempt, error: String(error) });
      }
    }
    this.log.error('event given up on', where);
    const file = this.options.deadLetterFile;
    if (file) {
      await mkdir(path.dirname(file), { recursive: true });
      await appendFile(file, `${JSON.stringify({ deadLetteredAt: new Date().toISOString(), ...where, event })}\n`);
    }
  }
}
