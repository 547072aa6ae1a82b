/**
 * EventBridge for the local stack: events from the local services (Step Functions status
 * changes) are matched against the rules terraform/*.tf declares, with their own patterns,
 * and delivered to the rules' Lambda targets with retries, as the default bus would.
 */
import { randomUUID } from 'node:crypto';
import type { ComponentLog } from './logs';
import type { ExecutionStatusChange } from './sfn/engine';
import type { EventRuleFacts } from './terraform-facts';

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

export interface LocalRule {
  name: string;
  pattern: Record<string, unknown>;
  targets: EventRuleFacts['targets'];
}

/**
 * EventBridge's matching: every field the pattern names must be there; an array of values
 * matches when the event's value (or one of its values) equals one of them, or meets a
 * content filter ({prefix}, {anything-but}, {exists}); an object descends into the field.
 */
export function matchesPattern(pattern: Record<string, unknown>, event: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([field, expected]) => {
    const actual = event[field];
    if (Array.isArray(expected)) {
      const values = Array.isArray(actual) ? actual : [actual];
      return expected.some((candidate) => values.some((value) => matchesValue(candidate, value, field in event)));
    }
    if (expected && typeof expected === 'object') {
      return (
        Boolean(actual && typeof actual === 'object') &&
        matchesPattern(expected as Record<string, unknown>, actual as Record<string, unknown>)
      );
    }
    return false;
  });
}

function matchesValue(candidate: unknown, value: unknown, present: boolean): boolean {
  if (candidate === null || typeof candidate !== 'object') return present && candidate === value;
  const filter = candidate as Record<string, unknown>;
  if ('exists' in filter) return filter.exists === present;
  if ('prefix' in filter) return typeof value === 'string' && value.startsWith(String(filter.prefix));
  if ('anything-but' in filter) {
    const excluded = filter['anything-but'];
    return present && !(Array.isArray(excluded) ? excluded : [excluded]).includes(value);
  }
  throw new Error(`The local EventBridge does not know the filter ${JSON.stringify(filter)}.`);
}

/** The event Step Functions sends to EventBridge when an execution changes status. */
export function executionStatusEvent(
  change: ExecutionStatusChange,
  where: { account: string; region: string },
): AwsEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: where.account,
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: where.region,
    resources: [change.executionArn],
    detail: {
      executionArn: change.executionArn,
      stateMachineArn: change.stateMachineArn,
      name: change.name,
      status: change.status,
      startDate: change.startDate.getTime(),
      stopDate: change.stopDate ? change.stopDate.getTime() : null,
      input: change.input,
      output: change.output ?? null,
      ...(change.error ? { error: change.error } : {}),
      ...(change.cause ? { cause: change.cause } : {}),
    },
  };
}

export interface EventBridgeOptions {
  rules: LocalRule[];
  /** Runs a target function; false (or a throw) is a failed delivery, retried. */
  invoke(functionName: string, event: AwsEvent): Promise<boolean>;
  /** First retry delay; doubles each time, up to 30 s (AWS waits longer, from about a minute). */
  retryBaseMs?: number;
  log: ComponentLog;
}

export interface LocalEventBridge {
  put(event: AwsEvent): void;
  /** Deliveries still under way; resolves when they end. */
  drain(): Promise<void>;
  close(): Promise<void>;
}

export function startEventBridge(options: EventBridgeOptions): LocalEventBridge {
  const inFlight = new Set<Promise<void>>();
  let closed = false;
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

  const deliver = async (rule: LocalRule, target: LocalRule['targets'][number], event: AwsEvent) => {
    const started = Date.now();
    for (let attempt = 0; attempt <= target.maxRetryAttempts && !closed; attempt += 1) {
      if (attempt > 0) await sleep(Math.min(30_000, (options.retryBaseMs ?? 500) * 2 ** (attempt - 1)));
      if (Date.now() - started > target.maxEventAgeSec * 1000) break;
      const delivered = await options.invoke(target.function, event).catch((error: unknown) => {
        options.log.warn('a target threw', { rule: rule.name, target: target.function, error: String(error) });
        return false;
      });
      if (delivered) {
        options.log.info('delivered', { rule: rule.name, target: target.function, eventId: event.id, attempt });
        return;
      }
    }
    options.log.error('gave up on an event', { rule: rule.name, target: target.function, eventId: event.id });
  };

  return {
    put(event) {
      if (closed) return;
      for (const rule of options.rules) {
        if (!matchesPattern(rule.pattern, event as unknown as Record<string, unknown>)) continue;
        for (const target of rule.targets) {
          const delivery = deliver(rule, target, event).finally(() => inFlight.delete(delivery));
          inFlight.add(delivery);
        }
      }
    },
    async drain() {
      while (inFlight.size) await Promise.all([...inFlight]);
    },
    async close() {
      closed = true;
      await Promise.all([...inFlight]);
    },
  };
}
