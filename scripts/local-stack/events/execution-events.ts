/**
 * EventBridge for the local stack, as far as the pipeline uses it: Step Functions' "Execution
 * Status Change" events, matched against the rules terraform/ creates and delivered to their
 * Lambda targets (RecordFailure for TIMED_OUT and ABORTED, contribution-feedback for all ends).
 */
import { randomUUID } from 'node:crypto';
import type { Lazy, Value } from '../../terraform/hcl-expression';
import type { EvaluatedModule } from '../../terraform/module';

export const EXECUTION_STATUS_CHANGE = 'Step Functions Execution Status Change';

export interface ExecutionStatusChangeEvent {
  version: '0';
  id: string;
  'detail-type': typeof EXECUTION_STATUS_CHANGE;
  source: 'aws.states';
  account: string;
  time: string;
  region: string;
  resources: string[];
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

export interface ExecutionEventRule {
  name: string;
  stateMachineArns: string[];
  statuses: string[];
  /** Function names (local.lambda_functions keys) the rule's targets invoke. */
  functions: string[];
}

const asStrings = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);

/** The module's rules on execution status changes, with the functions they target. */
export function executionEventRules(module: EvaluatedModule): ExecutionEventRule[] {
  const lambdas = module.instances('resource', 'aws_lambda_function', 'this') as Record<string, Value>;
  const functionOfArn = new Map(
    Object.entries(lambdas).map(([name, lambda]) => [String((lambda as Lazy).get('arn')), name]),
  );
  const targets = module.names('resource', 'aws_cloudwatch_event_target').map((name) => {
    const target = module.instances('resource', 'aws_cloudwatch_event_target', name) as Lazy;
    return { rule: String(target.get('rule')), fn: functionOfArn.get(String(target.get('arn'))) };
  });
  return module.names('resource', 'aws_cloudwatch_event_rule').flatMap((name) => {
    const rule = module.instances('resource', 'aws_cloudwatch_event_rule', name) as Lazy;
    const pattern = JSON.parse(String(rule.get('event_pattern'))) as Record<string, unknown>;
    const detail = (pattern.detail ?? {}) as Record<string, unknown>;
    if (
      !asStrings(pattern.source).includes('aws.states') ||
      !asStrings(pattern['detail-type']).includes(EXECUTION_STATUS_CHANGE)
    ) {
      return [];
    }
    const ruleName = String(rule.get('name'));
    return [
      {
        name: ruleName,
        stateMachineArns: asStrings(detail.stateMachineArn),
        statuses: asStrings(detail.status),
        functions: targets.flatMap((target) => (target.rule === ruleName && target.fn ? [target.fn] : [])),
      },
    ];
  });
}

export function matches(rule: ExecutionEventRule, event: ExecutionStatusChangeEvent): boolean {
  return (
    (!rule.stateMachineArns.length || rule.stateMachineArns.includes(event.detail.stateMachineArn)) &&
    (!rule.statuses.length || rule.statuses.includes(event.detail.status))
  );
}

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

/** Like EventBridge's retry policy, shortened: a few tries, then the event is logged as dropped. */
const DELIVERY_TRIES = 3;
const RETRY_DELAY_MS = 500;

export class ExecutionEventBus {
  private readonly deliveries = new Set<Promise<void>>();

  constructor(
    private readonly rules: readonly ExecutionEventRule[],
    private readonly invoke: (fn: string, event: ExecutionStatusChangeEvent) => Promise<void>,
    private readonly log: {
      info(message: string, fields?: Record<string, unknown>): void;
      error(message: string, fields?: Record<string, unknown>): void;
    },
  ) {}

  publish(event: ExecutionStatusChangeEvent): void {
    for (const rule of this.rules.filter((candidate) => matches(candidate, event))) {
      for (const fn of rule.functions) {
        const delivery = this.deliver(rule.name, fn, event).finally(() => this.deliveries.delete(delivery));
        this.deliveries.add(delivery);
      }
    }
  }

  /** Resolves once every event published so far has been delivered or given up on. */
  async idle(): Promise<void> {
    while (this.deliveries.size) await Promise.allSettled([...this.deliveries]);
  }

  private async deliver(rule: string, fn: string, event: ExecutionStatusChangeEvent): Promise<void> {
    for (let attempt = 1; attempt <= DELIVERY_TRIES; attempt++) {
      try {
        await this.invoke(fn, event);
        this.log.info('execution event delivered', {
          rule,
          function: fn,
          execution: event.detail.name,
          status: event.detail.status,
        });
        return;
      } catch (error) {
        if (attempt === DELIVERY_TRIES) {
          this.log.error('execution event dropped after retries', {
            rule,
            function: fn,
            execution: event.detail.name,
            error: String(error),
          });
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS * attempt));
      }
    }
  }
}
