import { CloudWatchLogsClient, DeleteLogGroupCommand, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeInstancesCommand, EC2Client, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { destroy } from '../../scripts/deploy/destroy';
import { FakeStackTools } from './support';

const logs = mockClient(CloudWatchLogsClient);
const ec2 = mockClient(EC2Client);
const clients = {
  logs: new CloudWatchLogsClient({ region: 'eu-west-1' }),
  ec2: new EC2Client({ region: 'eu-west-1' }),
};

const STATE = [
  'aws_s3_bucket.this["uploads"]',
  'aws_s3_bucket.this["processed"]',
  'aws_s3_bucket.web',
  'aws_dynamodb_table.jobs',
  'aws_cognito_user_pool.users',
  'aws_autoscaling_group.avhubert[0]',
  'aws_lambda_function.this["fuse"]',
].join('\n');
const OUTPUTS = JSON.stringify({
  stack_name: { value: 'gorggle-demo' },
  region: { value: 'eu-west-1' },
  log_group_names: { value: ['/aws/lambda/gorggle-demo-fuse', '/aws/vendedlogs/states/gorggle-demo-pipeline'] },
});

function deployedStack() {
  return new FakeStackTools().on(['state', 'list'], STATE).on(['output', '-json'], OUTPUTS);
}

beforeEach(() => {
  logs.reset();
  ec2.reset();
  logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [] });
  logs.on(DeleteLogGroupCommand).resolves({});
  ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
  ec2.on(TerminateInstancesCommand).resolves({});
});

describe('make destroy', () => {
  it('lifts deletion protection on exactly the protected resources, then destroys with it lifted', async () => {
    // Prepare
    const fake = deployedStack();
    fake.answer = 'gorggle-demo';
    const regions: string[] = [];

    // Act
    const report = await destroy(fake, (region) => (regions.push(region), clients), {
      variableArgs: [],
      autoApprove: false,
    });

    // Assess
    expect(report.outcome).toBe('destroyed');
    expect(regions).toEqual(['eu-west-1']);
    expect(fake.questions).toEqual([expect.stringContaining('Type the stack name (gorggle-demo)')]);
    const [apply, destroyCommand] = fake.commands.filter((args) => ['apply', 'destroy'].includes(args[0]!));
    // Versioned buckets are emptied of every version only with force_destroy, i.e. deletion_protection=false.
    expect(apply).toEqual([
      'apply',
      '-input=false',
      '-auto-approve',
      '-var',
      'deletion_protection=false',
      '-target=aws_s3_bucket.this["uploads"]',
      '-target=aws_s3_bucket.this["processed"]',
      '-target=aws_s3_bucket.web',
      '-target=aws_dynamodb_table.jobs',
      '-target=aws_cognito_user_pool.users',
    ]);
    expect(destroyCommand).toEqual(['destroy', '-input=false', '-auto-approve', '-var', 'deletion_protection=false']);
  });

  it('removes a log group a late function run wrote back, and terminates an instance still tagged with the stack', async () => {
    // Prepare
    const fake = deployedStack();
    logs
      .on(DescribeLogGroupsCommand, { logGroupNamePrefix: '/aws/lambda/gorggle-demo-fuse' })
      .resolves({ logGroups: [{ logGroupName: '/aws/lambda/gorggle-demo-fuse' }] });
    ec2
      .on(DescribeInstancesCommand)
      .resolves({ Reservations: [{ Instances: [{ InstanceId: 'i-0abc123def4567890' }] }] });

    // Act
    const report = await destroy(fake, () => clients, { variableArgs: [], autoApprove: true });

    // Assess
    expect(logs).toHaveReceivedCommandWith(DeleteLogGroupCommand, { logGroupName: '/aws/lambda/gorggle-demo-fuse' });
    expect(logs).toHaveReceivedCommandTimes(DeleteLogGroupCommand, 1);
    expect(ec2).toHaveReceivedCommandWith(DescribeInstancesCommand, {
      Filters: [
        { Name: 'tag:gorggle:stack', Values: ['gorggle-demo'] },
        { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
      ],
    });
    expect(ec2).toHaveReceivedCommandWith(TerminateInstancesCommand, { InstanceIds: ['i-0abc123def4567890'] });
    expect(report).toEqual({
      outcome: 'destroyed',
      removedLogGroups: ['/aws/lambda/gorggle-demo-fuse'],
      terminatedInstances: ['i-0abc123def4567890'],
    });
  });

  it('destroys nothing unless the stack name is typed', async () => {
    // Prepare
    const fake = deployedStack();
    fake.answer = 'yes';

    // Act
    const report = await destroy(fake, () => clients, { variableArgs: [], autoApprove: false });

    // Assess
    expect(report.outcome).toBe('cancelled');
    expect(fake.subcommands()).not.toContain('destroy');
    expect(fake.subcommands()).not.toContain('apply');
  });

  it('says so when nothing is deployed from this checkout', async () => {
    // Prepare
    const fake = new FakeStackTools().on(['state', 'list'], '');

    // Act
    const report = await destroy(fake, () => clients, { variableArgs: [], autoApprove: true });

    // Assess
    expect(report.outcome).toBe('nothing');
    expect(fake.printed).toEqual([expect.stringContaining('Nothing is deployed')]);
  });
});
