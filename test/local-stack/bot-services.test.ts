/**
 * The local stand-ins the bot needs: SSM Parameter Store through the real SDK, and the local
 * EventBridge reading terraform/bot.tf's own rule for contribution-feedback.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetParametersCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { eventRules, matchesPattern, statusChangeEvent } from '../../scripts/local-stack/events/event-bus';
import { createComponentLog } from '../../scripts/local-stack/logs';
import { startSsm } from '../../scripts/local-stack/ssm';
import { EvaluatedModule } from '../../scripts/terraform/module';
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
  it("sends every end of the pipeline's executions, and nothing else, to contribution-feedback, with terraform/bot.tf's retry policy", async () => {
    // Prepare
    const module = await EvaluatedModule.load(path.join(REPO_ROOT, 'terraform'));
    const stateMachineArn = String(module.local('state_machine_arn'));
    const change = (status: string, arn = stateMachineArn) =>
      statusChangeEvent({
        executionArn: `${arn.replace(':stateMachine:', ':execution:')}:job-1`,
        stateMachineArn: arn,
        name: 'job-1',
        status,
        startDate: new Date(),
      });

    // Act
    const rules = eventRules(module).filter((rule) =>
      rule.targets.some((target) => target.function === 'contribution-feedback'),
    );

    // Assess
    expect(rules).toHaveLength(1);
    const [rule] = rules;
    expect(rule!.targets).toEqual([{ function: 'contribution-feedback', maxRetryAttempts: 8, maxEventAgeSec: 3600 }]);
    expect(
      ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'RUNNING'].filter((status) =>
        matchesPattern(rule!.pattern, change(status)),
      ),
    ).toEqual(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);
    expect(matchesPattern(rule!.pattern, change('SUCCEEDED', `${stateMachineArn}-another`))).toBe(false);
  });
});
