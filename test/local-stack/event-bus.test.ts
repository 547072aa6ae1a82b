/**
 * The local EventBridge: any rule terraform declares, any Lambda target, EventBridge's pattern
 * semantics and each target's retry policy, with undeliverable events kept as dead letters.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  eventRules,
  LocalEventBus,
  matchesPattern,
  statusChangeEvent,
  type AwsEvent,
  type EventRule,
} from '../../scripts/local-stack/events/event-bus';
import { EvaluatedModule } from '../../scripts/terraform/module';

let scratch: string;
beforeEach(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'gorggle-event-bus-'));
});
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

const silentLog = { info: () => undefined, error: () => undefined };

/** A module shaped like terraform/: a for_each of functions, a lone function, and a queue. */
const MODULE = `
locals {
  functions = toset(["record-failure", "contribution-feedback"])
}

resource "aws_lambda_function" "this" {
  for_each      = local.functions
  function_name = "demo-\${each.key}"
}

resource "aws_lambda_function" "telegram_poller" {
  function_name = "demo-telegram-poller"
}

resource "aws_sqs_queue" "audit" {
  name = "demo-audit"
}

resource "aws_cloudwatch_event_rule" "stopped" {
  name = "demo-stopped"
  event_pattern = jsonencode({
    source      = ["aws.states"]
    detail-type = ["Step Functions Execution Status Change"]
    detail      = { status = ["TIMED_OUT", "ABORTED"] }
  })
}

resource "aws_cloudwatch_event_target" "stopped" {
  rule = aws_cloudwatch_event_rule.stopped.name
  arn  = aws_lambda_function.this["record-failure"].arn
  retry_policy {
    maximum_event_age_in_seconds = 60
    maximum_retry_attempts       = 2
  }
}

resource "aws_cloudwatch_event_rule" "uploads" {
  name = "demo-uploads"
  event_pattern = jsonencode({
    source = ["demo.bot"]
    detail = { key = [{ prefix = "contributions/" }], kind = [{ anything-but = ["test"] }] }
  })
}

resource "aws_cloudwatch_event_target" "uploads_to_poller" {
  rule = aws_cloudwatch_event_rule.uploads.name
  arn  = aws_lambda_function.telegram_poller.arn
}

resource "aws_cloudwatch_event_target" "uploads_to_queue" {
  rule = aws_cloudwatch_event_rule.uploads.name
  arn  = aws_sqs_queue.audit.arn
}

resource "aws_cloudwatch_event_rule" "nightly" {
  name                = "demo-nightly"
  schedule_expression = "rate(1 day)"
}
`;

async function demoRules(): Promise<EventRule[]> {
  writeFileSync(path.join(scratch, 'main.tf'), MODULE);
  return eventRules(await EvaluatedModule.load(scratch));
}

const botEvent = (detail: Record<string, unknown>): AwsEvent => ({
  version: '0',
  id: 'e-1',
  'detail-type': 'Contribution',
  source: 'demo.bot',
  account: '123456789012',
  time: '2026-12-05T10:00:00Z',
  region: 'us-east-1',
  resources: [],
  detail,
});

const stopped = (status: string) =>
  statusChangeEvent({
    executionArn: 'arn:aws:states:us-east-1:123456789012:execution:demo:job-1',
    stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:demo',
    name: 'job-1',
    status,
    startDate: new Date('2026-12-05T10:00:00Z'),
  });

describe('rules from terraform', () => {
  it('reads every rule with a pattern, its Lambda targets by key or resource name, and their retry policies', async () => {
    // Act
    const rules = await demoRules();

    // Assess
    expect(rules).toEqual([
      {
        name: 'demo-stopped',
        pattern: expect.objectContaining({ source: ['aws.states'] }) as unknown,
        targets: [{ function: 'record-failure', maxRetryAttempts: 2, maxEventAgeSec: 60 }],
        otherTargets: [],
      },
      {
        name: 'demo-uploads',
        pattern: expect.objectContaining({ source: ['demo.bot'] }) as unknown,
        // No retry_policy: EventBridge's defaults.
        targets: [{ function: 'telegram_poller', maxRetryAttempts: 185, maxEventAgeSec: 86_400 }],
        otherTargets: ['arn:aws:sqs:us-east-1:123456789012:demo-audit'],
      },
    ]);
  });
});

describe('pattern matching', () => {
  it.each([
    [{ key: 'contributions/a.mp4', kind: 'video' }, true],
    [{ key: 'contributions/a.mp4', kind: 'test' }, false],
    [{ key: 'uploads/a.mp4', kind: 'video' }, false],
    [{ key: ['uploads/a.mp4', 'contributions/b.mp4'], kind: 'video' }, true],
    [{ key: 'contributions/a.mp4' }, false],
  ])('matches %j: %s', async (detail, expected) => {
    // Prepare
    const [, uploads] = await demoRules();

    // Act
    const result = matchesPattern(uploads!.pattern, botEvent(detail));

    // Assess
    expect(result).toBe(expected);
  });

  it.each([
    [{ size: [{ numeric: ['>', 0, '<=', 10] }] }, { size: 10 }, true],
    [{ size: [{ numeric: ['>', 0, '<=', 10] }] }, { size: 11 }, false],
    [{ reason: [{ exists: false }] }, {}, true],
    [{ reason: [{ exists: true }] }, {}, false],
    [{ name: [{ suffix: '.mp4' }] }, { name: 'a.mp4' }, true],
    [{ name: [{ 'anything-but': { prefix: 'tmp/' } }] }, { name: 'tmp/a' }, false],
  ])('applies content filter %j to %j: %s', (pattern, event, expected) => {
    expect(matchesPattern(pattern, event)).toBe(expected);
  });

  it('refuses a filter it does not know rather than guess', () => {
    expect(() => matchesPattern({ ip: [{ cidr: '10.0.0.0/8' }] }, { ip: '10.1.1.1' })).toThrow(/does not know/);
  });
});

describe('delivery', () => {
  it('delivers a matching event to every Lambda target, and nothing else', async () => {
    // Prepare
    const delivered: Array<[string, string]> = [];
    const bus = new LocalEventBus(
      await demoRules(),
      async (fn, event) => {
        delivered.push([fn, event['detail-type']]);
      },
      silentLog,
    );

    // Act
    bus.put(stopped('TIMED_OUT'));
    bus.put(stopped('SUCCEEDED'));
    bus.put(botEvent({ key: 'contributions/a.mp4', kind: 'video' }));
    await bus.idle();

    // Assess
    expect(delivered).toEqual([
      ['record-failure', 'Step Functions Execution Status Change'],
      ['telegram_poller', 'Contribution'],
    ]);
  });

  it('retries a failing target as its policy says, then keeps the event as a dead letter', async () => {
    // Prepare
    const deadLetterFile = path.join(scratch, 'dead-letters', 'events.jsonl');
    let tries = 0;
    const bus = new LocalEventBus(
      await demoRules(),
      async () => {
        tries++;
        throw new Error('Task timed out');
      },
      silentLog,
      { retryBaseMs: 5, deadLetterFile },
    );
    const event = stopped('ABORTED');

    // Act
    bus.put(event);
    await bus.idle();

    // Assess: one try and maximum_retry_attempts = 2 retries.
    expect(tries).toBe(3);
    const [line] = readFileSync(deadLetterFile, 'utf8').trim().split('\n');
    expect(JSON.parse(line!)).toMatchObject({ rule: 'demo-stopped', function: 'record-failure', event });
  });

  it('stops retrying when the stack closes', async () => {
    // Prepare: EventBridge's default policy would retry for a day.
    let tries = 0;
    const bus = new LocalEventBus(
      await demoRules(),
      async () => {
        tries++;
        throw new Error('not yet');
      },
      silentLog,
      { retryBaseMs: 60_000 },
    );
    bus.put(botEvent({ key: 'contributions/a.mp4', kind: 'video' }));

    // Act
    await new Promise((resolve) => setImmediate(resolve));
    await bus.close();

    // Assess
    expect(tries).toBe(1);
  });
});
