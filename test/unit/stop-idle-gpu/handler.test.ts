import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeScalingActivitiesCommand,
  SetDesiredCapacityCommand,
  type Activity,
} from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { lambdaContext } from '../branches/support';

Object.assign(process.env, {
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  AVHUBERT_ASG_NAME: 'gorggle-avhubert',
  IDLE_MINUTES: '15',
});

const { handler } = await import('../../../functions/stop-idle-gpu/handler');

const autoScaling = mockClient(AutoScalingClient);
const ec2 = mockClient(EC2Client);
const context = lambdaContext('gorggle-stop-idle-gpu');
const GROUP = 'gorggle-avhubert';
const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000);

/** EventBridge's scheduled event: the stopper needs nothing from it. */
const scheduledEvent = {
  version: '0',
  id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: new Date().toISOString(),
  region: 'eu-west-1',
  resources: ['arn:aws:events:eu-west-1:123456789012:rule/gorggle-stop-idle-gpu'],
  detail: {},
};

function groupIs(options: { desired: number; lifecycle?: string; busyAt?: Date | string }) {
  autoScaling.on(DescribeAutoScalingGroupsCommand).resolves({
    AutoScalingGroups: [
      {
        AutoScalingGroupName: GROUP,
        MinSize: 0,
        MaxSize: 1,
        DesiredCapacity: options.desired,
        DefaultCooldown: 300,
        AvailabilityZones: ['eu-west-1a'],
        HealthCheckType: 'EC2',
        CreatedTime: new Date('2026-01-01T00:00:00Z'),
        Instances: options.lifecycle
          ? [
              {
                InstanceId: 'i-0abc123def4567890',
                LifecycleState: options.lifecycle as 'InService',
                AvailabilityZone: 'eu-west-1a',
                HealthStatus: 'Healthy',
                ProtectedFromScaleIn: false,
              },
            ]
          : [],
        Tags:
          options.busyAt === undefined
            ? []
            : [
                {
                  ResourceId: GROUP,
                  ResourceType: 'auto-scaling-group',
                  Key: 'gorggle:lipreading-busy-at',
                  Value: typeof options.busyAt === 'string' ? options.busyAt : options.busyAt.toISOString(),
                  PropagateAtLaunch: false,
                },
              ],
      },
    ],
  });
}

function activities(...list: Array<Pick<Activity, 'StatusCode' | 'Description' | 'StartTime'>>) {
  autoScaling.on(DescribeScalingActivitiesCommand).resolves({
    Activities: list.map((activity, index) => ({
      ActivityId: `activity-${index}`,
      AutoScalingGroupName: GROUP,
      Cause: 'a user request explicitly set group desired capacity',
      ...activity,
    })) as Activity[],
  });
}

const stop = () => handler(scheduledEvent, context);

beforeEach(() => {
  autoScaling.reset();
  ec2.reset();
  autoScaling.on(SetDesiredCapacityCommand).resolves({});
  activities({
    StatusCode: 'Successful',
    Description: 'Launching a new EC2 instance: i-0abc123def4567890',
    StartTime: minutesAgo(60),
  });
});

describe('the idle GPU stopper (scheduled, outside the instance)', () => {
  it('stops a GPU whose server crashed: no job has marked it busy for longer than the idle time', async () => {
    // Prepare: the instance is in service, but its server died 40 minutes ago, so the jobs that
    // came in skipped or failed and nothing has needed it since.
    groupIs({ desired: 1, lifecycle: 'InService', busyAt: minutesAgo(40) });

    // Act
    const decision = await stop();

    // Assess
    expect(autoScaling).toHaveReceivedCommandWith(SetDesiredCapacityCommand, {
      AutoScalingGroupName: GROUP,
      DesiredCapacity: 0,
      HonorCooldown: false,
    });
    expect(decision).toEqual({
      action: 'stopped',
      reason: 'no job has needed it for 40 min (limit 15)',
      idleMinutes: 40,
    });
    // It never asks the instance or its server anything.
    expect(ec2.calls()).toHaveLength(0);
  });

  it('keeps a GPU that a job in flight marked busy a moment ago', async () => {
    // Prepare
    groupIs({ desired: 1, lifecycle: 'InService', busyAt: minutesAgo(0.5) });

    // Act
    const decision = await stop();

    // Assess
    expect(autoScaling).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
    expect(decision).toMatchObject({ action: 'kept', idleMinutes: 0.5 });
  });

  it('keeps a GPU that was launched by hand (no busy mark) until the idle time after its launch', async () => {
    // Prepare
    groupIs({ desired: 1, lifecycle: 'InService' });
    activities({
      StatusCode: 'Successful',
      Description: 'Launching a new EC2 instance: i-0abc',
      StartTime: minutesAgo(5),
    });

    // Act
    const decision = await stop();

    // Assess
    expect(autoScaling).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
    expect(decision).toMatchObject({ action: 'kept', idleMinutes: 5 });
  });

  it('ends a launch loop: failed launch retries (no vCPU quota) do not count as use', async () => {
    // Prepare: a job woke the group 30 minutes ago; every launch since has failed and retried.
    groupIs({ desired: 1, busyAt: minutesAgo(30) });
    activities(
      {
        StatusCode: 'Failed',
        Description: 'Launching a new EC2 instance.  Status Reason: vCPU limit',
        StartTime: minutesAgo(1),
      },
      {
        StatusCode: 'Failed',
        Description: 'Launching a new EC2 instance.  Status Reason: vCPU limit',
        StartTime: minutesAgo(11),
      },
    );

    // Act
    const decision = await stop();

    // Assess
    expect(autoScaling).toHaveReceivedCommandWith(SetDesiredCapacityCommand, { DesiredCapacity: 0 });
    expect(decision).toMatchObject({ action: 'stopped', idleMinutes: 30 });
  });

  it('stops a group that wants an instance but carries no usable mark at all', async () => {
    // Prepare
    groupIs({ desired: 1, lifecycle: 'Pending', busyAt: 'not a date' });
    activities();

    // Act
    const decision = await stop();

    // Assess
    expect(autoScaling).toHaveReceivedCommandWith(SetDesiredCapacityCommand, { DesiredCapacity: 0 });
    expect(decision).toEqual({
      action: 'stopped',
      reason: 'no job has marked it busy and it never launched',
      idleMinutes: null,
    });
  });

  it('does nothing to a group that is already at zero', async () => {
    // Prepare
    groupIs({ desired: 0, busyAt: minutesAgo(90) });

    // Act
    const decision = await stop();

    // Assess
    expect(decision).toEqual({ action: 'none', reason: 'already scaled to zero' });
    expect(autoScaling).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
  });

  it('does nothing, and says so, when the group is gone (a stack being destroyed)', async () => {
    // Prepare
    autoScaling.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] });

    // Act
    const decision = await stop();

    // Assess
    expect(decision).toEqual({ action: 'none', reason: `the group ${GROUP} does not exist` });
  });

  it('lets an AWS error through, so the failed run shows in the function metrics', async () => {
    // Prepare
    groupIs({ desired: 1, lifecycle: 'InService', busyAt: minutesAgo(40) });
    autoScaling
      .on(SetDesiredCapacityCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));

    // Act
    const run = stop();

    // Assess
    await expect(run).rejects.toMatchObject({ name: 'Throttling' });
  });
});
