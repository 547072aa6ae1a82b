import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { deploy, logGroupsToCreate, readPlan } from '../../scripts/deploy/deploy';
import { PLAN_FILE } from '../../scripts/deploy/stack-tools';
import { FakeStackTools } from './support';

const logs = mockClient(CloudWatchLogsClient);
const logsClient = new CloudWatchLogsClient({ region: 'eu-west-1' });

/** `terraform show -json` of a plan with these resource changes. */
const planJson = (...changes: Array<{ address: string; type: string; actions: string[]; after?: object }>) =>
  JSON.stringify({
    format_version: '1.2',
    resource_changes: changes.map(({ address, type, actions, after }) => ({
      address,
      type,
      change: { actions, after: after ?? {} },
    })),
  });

const FUSE_LOGS = {
  address: 'aws_cloudwatch_log_group.function["fuse"]',
  type: 'aws_cloudwatch_log_group',
  actions: ['create'],
  after: { name: '/aws/lambda/gorggle-fuse' },
};
const FUSE_FUNCTION = { address: 'aws_lambda_function.this["fuse"]', type: 'aws_lambda_function', actions: ['create'] };
const OUTPUTS = JSON.stringify({
  web_url: { value: 'https://d111111abcdef8.cloudfront.net/' },
  lipreading_enabled: { value: true },
});

function tools(options: { lipReading: boolean; plans: string[] }) {
  return new FakeStackTools()
    .on(['console'], `${options.lipReading}\n"eu-west-1"\n`)
    .on(['show', '-json'], ...options.plans)
    .on(['output', '-json'], OUTPUTS);
}

beforeEach(() => {
  logs.reset();
  logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [] });
});

describe('make deploy', () => {
  it('builds the GPU bundle, shows the plan and applies it once the user types yes', async () => {
    // Prepare
    const fake = tools({ lipReading: true, plans: [planJson(FUSE_FUNCTION)] });
    fake.answer = 'yes';

    // Act
    const outcome = await deploy(fake, () => logsClient, {
      variableArgs: ['-var-file=prod.tfvars'],
      autoApprove: false,
    });

    // Assess
    expect(outcome).toBe('applied');
    expect(fake.made).toEqual(['avhubert-bundle']);
    expect(fake.subcommands()).toEqual(['init', 'console', 'plan', 'show', 'show', 'apply', 'output']);
    expect(fake.commands[2]).toEqual(['plan', '-input=false', `-out=${PLAN_FILE}`, '-var-file=prod.tfvars']);
    expect(fake.commands[4]).toEqual(['show', PLAN_FILE]);
    expect(fake.commands[5]).toEqual(['apply', '-input=false', PLAN_FILE]);
    expect(fake.questions).toEqual([expect.stringContaining('Apply these 1 changes?')]);
    expect(fake.printed).toEqual(expect.arrayContaining([expect.stringContaining('make model-upload MODEL_DIR=')]));
  });

  it('applies nothing unless the answer is exactly yes', async () => {
    // Prepare
    const fake = tools({ lipReading: false, plans: [planJson(FUSE_FUNCTION)] });
    fake.answer = 'y';

    // Act
    const outcome = await deploy(fake, () => logsClient, { variableArgs: [], autoApprove: false });

    // Assess
    expect(outcome).toBe('cancelled');
    expect(fake.subcommands()).not.toContain('apply');
    expect(fake.made).toEqual([]);
  });

  it('adopts a log group an earlier destroy left behind instead of failing with "already exists" (M7)', async () => {
    // Prepare: the plan wants to create fuse's log group, and AWS still has it.
    const fake = tools({ lipReading: false, plans: [planJson(FUSE_LOGS, FUSE_FUNCTION), planJson(FUSE_FUNCTION)] });
    logs
      .on(DescribeLogGroupsCommand, { logGroupNamePrefix: '/aws/lambda/gorggle-fuse' })
      .resolves({ logGroups: [{ logGroupName: '/aws/lambda/gorggle-fuse' }] });

    // Act
    await deploy(fake, () => logsClient, { variableArgs: ['-var', 'name_prefix=gorggle'], autoApprove: true });

    // Assess
    expect(fake.commands).toContainEqual([
      'import',
      '-input=false',
      '-var',
      'name_prefix=gorggle',
      'aws_cloudwatch_log_group.function["fuse"]',
      '/aws/lambda/gorggle-fuse',
    ]);
    expect(fake.subcommands()).toEqual([
      'init',
      'console',
      'plan',
      'show',
      'import',
      'plan',
      'show',
      'show',
      'apply',
      'output',
    ]);
    expect(fake.printed).toContain('Adopting the log group /aws/lambda/gorggle-fuse: it outlived an earlier destroy.');
  });

  it('says so and applies nothing when the stack is up to date', async () => {
    // Prepare
    const fake = tools({
      lipReading: false,
      plans: [planJson({ address: 'aws_sqs_queue.x', type: 'aws_sqs_queue', actions: ['no-op'] })],
    });

    // Act
    const outcome = await deploy(fake, () => logsClient, { variableArgs: [], autoApprove: true });

    // Assess
    expect(outcome).toBe('unchanged');
    expect(fake.subcommands()).not.toContain('apply');
  });
});

describe('reading a plan', () => {
  it('counts only log groups that would be created, not replaced or kept', () => {
    // Prepare
    const plan = readPlan(
      planJson(
        FUSE_LOGS,
        {
          address: 'aws_cloudwatch_log_group.function["api"]',
          type: 'aws_cloudwatch_log_group',
          actions: ['delete', 'create'],
          after: { name: '/aws/lambda/gorggle-api' },
        },
        {
          address: 'aws_cloudwatch_log_group.state_machine',
          type: 'aws_cloudwatch_log_group',
          actions: ['no-op'],
          after: { name: 'x' },
        },
      ),
    );

    // Act
    const created = logGroupsToCreate(plan);

    // Assess
    expect(created).toEqual([{ address: FUSE_LOGS.address, name: '/aws/lambda/gorggle-fuse' }]);
    expect(plan.changes).toHaveLength(2);
  });
});
