/**
 * The local stand-ins the bot needs: SSM Parameter Store through the real SDK, and
 * EventBridge with terraform/bot.tf's own rule, matched and delivered with retries.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetParametersCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { resolveConfig, resourceNames } from '../../scripts/local-stack/config';
import {
  executionStatusEvent,
  matchesPattern,
  startEventBridge,
  type AwsEvent,
} from '../../scripts/local-stack/eventbridge';
import { createComponentLog } from '../../scripts/local-stack/logs';
import { localRules } from '../../scripts/local-stack/stack';
import { startSsm } from '../../scripts/local-stack/ssm';
import { loadTerraformFacts } from '../../scripts/local-stack/terraform-facts';
import { REPO_ROOT } from '../support/paths';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'gorggle-bot-services-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the local SSM', () => {
  it('keeps SecureStrings for the SDK, in a file only its owner can read, across restarts', async () => {
    // Prepare
    const log = createComponentLog(path.join(dir, 'logs'), 'ssm');
    const options = {
      host: '127.0.0.1',
      port: 0,
      directory: path.join(dir, 'ssm'),
      accountId: '000000000000',
      region: 'us-east-1',
      log,
    };
    const first = await startSsm(options);
    const client = (url: string) =>
      new SSMClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });

    // Act
    await client(first.url).send(
      new PutParameterCommand({ Name: '/gorggle/telegram/bot-token', Value: '123:abc', Type: 'SecureString' }),
    );
    await first.close();
    const second = await startSsm(options);
    const read = await client(second.url).send(
      new GetParametersCommand({
        Names: ['/gorggle/telegram/bot-token', '/gorggle/telegram/nothing'],
        WithDecryption: true,
      }),
    );
    await second.close();
    await log.close();

    // Assess
    expect(read.Parameters?.map((parameter) => [parameter.Name, parameter.Value, parameter.Type])).toEqual([
      ['/gorggle/telegram/bot-token', '123:abc', 'SecureString'],
    ]);
    expect(read.InvalidParameters).toEqual(['/gorggle/telegram/nothing']);
    expect(statSync(path.join(dir, 'ssm', 'parameters.json')).mode & 0o077).toBe(0);
  });
});

describe('the local EventBridge', () => {
  const config = resolveConfig({ dataDir: '/tmp/unused' });
  const names = resourceNames(config);
  const change = (status: string, stateMachineArn = names.stateMachineArn) =>
    executionStatusEvent(
      {
        executionArn: `${names.stateMachineArn.replace(':stateMachine:', ':execution:')}:job-1`,
        stateMachineArn,
        name: 'job-1',
        status: status as 'SUCCEEDED',
        startDate: new Date(),
        input: '{}',
      },
      { account: config.accountId, region: config.region },
    );

  it("matches execution ends of this stack's state machine with terraform/bot.tf's own pattern", async () => {
    // Prepare
    const rules = localRules(await loadTerraformFacts(path.join(REPO_ROOT, 'terraform')), names, config);
    const rule = rules.find((candidate) => candidate.name === 'gorggle-contribution-finished')!;
    const matches = (event: AwsEvent) => matchesPattern(rule.pattern, event as unknown as Record<string, unknown>);

    // Assess
    expect(rule.targets.map((target) => target.function)).toEqual(['contribution-feedback']);
    expect(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'].every((status) => matches(change(status)))).toBe(true);
    expect(matches(change('RUNNING'))).toBe(false);
    expect(matches(change('SUCCEEDED', 'arn:aws:states:us-east-1:000000000000:stateMachine:another'))).toBe(false);
  });

  it('delivers to a failing target again, as EventBridge retries, and stops at its policy', async () => {
    // Prepare
    const calls: string[] = [];
    let failures = 2;
    const log = createComponentLog(path.join(dir, 'logs'), 'eventbridge');
    const bus = startEventBridge({
      rules: [
        {
          name: 'flaky',
          pattern: { source: ['aws.states'] },
          targets: [{ function: 'f', maxRetryAttempts: 3, maxEventAgeSec: 60 }],
        },
        {
          name: 'broken',
          pattern: { source: ['aws.states'] },
          targets: [{ function: 'g', maxRetryAttempts: 1, maxEventAgeSec: 60 }],
        },
      ],
      invoke: async (fn) => {
        calls.push(fn);
        return fn === 'f' ? failures-- <= 0 : false;
      },
      retryBaseMs: 1,
      log,
    });

    // Act
    bus.put(change('SUCCEEDED'));
    await bus.drain();
    await bus.close();
    await log.close();

    // Assess
    expect(calls.filter((fn) => fn === 'f')).toHaveLength(3);
    expect(calls.filter((fn) => fn === 'g')).toHaveLength(2);
  });
});
