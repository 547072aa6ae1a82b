import {
  AutoScalingClient,
  CreateOrUpdateTagsCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeScalingActivitiesCommand,
  SetDesiredCapacityCommand,
  type Activity,
} from '@aws-sdk/client-auto-scaling';
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeInstancesCommand, EC2Client, type InstanceStateName } from '@aws-sdk/client-ec2';
import { HeadObjectCommand, NotFound, S3Client } from '@aws-sdk/client-s3';
import { GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { branchStateSchema, type BranchTaskInput } from '../../../functions/lib/contracts/pipeline';
import { lambdaContext, sampleEvent, setBranchEnv, stageUpdates } from '../branches/support';
import { ScriptedServer } from './scripted-server';

const server = new ScriptedServer();
const port = await server.listen();
const GROUP = 'gorggle-avhubert';
const MANIFEST = { bucket: 'gorggle-artifacts', key: 'models/avhubert/manifest.json' };
setBranchEnv({
  AVHUBERT_ENDPOINT: '',
  AVHUBERT_ASG_NAME: GROUP,
  AVHUBERT_MODEL_MANIFEST: `s3://${MANIFEST.bucket}/${MANIFEST.key}`,
  AVHUBERT_PORT: String(port),
  AVHUBERT_WARMUP_MAX_SECONDS: '300',
  AVHUBERT_SECRET_PARAMETER: '/gorggle/avhubert/shared-secret',
});

// Imported after the environment is set: the logger reads it when the module loads.
const { handler } = await import('../../../functions/invoke-lipreading/handler');

const autoScaling = mockClient(AutoScalingClient);
const ec2 = mockClient(EC2Client);
const s3 = mockClient(S3Client);
const dynamodb = mockClient(DynamoDBClient);
// The server's shared secret, as Terraform leaves it in SSM.
mockClient(SSMClient)
  .on(GetParametersCommand)
  .resolves({ Parameters: [{ Name: '/gorggle/avhubert/shared-secret', Value: 'x'.repeat(64) }] });
const context = lambdaContext('gorggle-invoke-lipreading');
const invoke = async (event: unknown) => branchStateSchema.parse(await handler(event, context));

const INSTANCE_ID = 'i-0abc123def4567890';
const QUOTA_MESSAGE =
  'You have requested more vCPU capacity than your current vCPU limit of 0 allows for the instance bucket that the specified instance type belongs to. Please visit http://aws.amazon.com/contact-us/ec2-request to request an adjustment to this limit. Launching EC2 instance failed.';

/** The group with `desired` capacity and, optionally, one instance in `lifecycle`. */
function groupIs(desired: number, lifecycle?: string) {
  autoScaling.on(DescribeAutoScalingGroupsCommand).resolves({
    AutoScalingGroups: [
      {
        AutoScalingGroupName: GROUP,
        MinSize: 0,
        MaxSize: 1,
        DesiredCapacity: desired,
        DefaultCooldown: 300,
        AvailabilityZones: ['eu-west-1a'],
        HealthCheckType: 'EC2',
        CreatedTime: new Date('2026-01-01T00:00:00Z'),
        Instances: lifecycle
          ? [
              {
                InstanceId: INSTANCE_ID,
                LifecycleState: lifecycle as 'InService',
                AvailabilityZone: 'eu-west-1a',
                HealthStatus: 'Healthy',
                ProtectedFromScaleIn: false,
              },
            ]
          : [],
      },
    ],
  });
}

/** EC2's view of the group's instance. */
function instanceIs(state: InstanceStateName, privateIp?: string) {
  ec2.on(DescribeInstancesCommand).resolves({
    Reservations: [
      {
        Instances: [
          { InstanceId: INSTANCE_ID, State: { Name: state }, ...(privateIp ? { PrivateIpAddress: privateIp } : {}) },
        ],
      },
    ],
  });
}

function activities(...list: Array<Pick<Activity, 'StatusCode' | 'StatusMessage' | 'Description'>>) {
  autoScaling.on(DescribeScalingActivitiesCommand).resolves({
    Activities: list.map((activity, index) => ({
      ActivityId: `activity-${index}`,
      AutoScalingGroupName: GROUP,
      Cause: 'a user request explicitly set group desired capacity',
      StartTime: new Date(Date.now() - index * 60_000),
      ...activity,
    })) as Activity[],
  });
}

/** The sample "still warming" check, warming since `secondsAgo`. */
function warmingCheck(secondsAgo: number): BranchTaskInput {
  const event = sampleEvent('invoke-lipreading', 'check-warming.json');
  if (event.action !== 'check') throw new Error('check-warming.json must be a check');
  const warmingSince = new Date(Date.now() - secondsAgo * 1000).toISOString();
  return {
    ...event,
    state: { ...event.state, startedAt: warmingSince, facts: { ...event.state.facts, warmingSince } },
  };
}

beforeEach(() => {
  server.reset();
  for (const client of [autoScaling, ec2, s3, dynamodb]) client.reset();
  dynamodb.on(UpdateItemCommand).resolves({});
  s3.on(HeadObjectCommand).resolves({ ContentLength: 400, ETag: '"m"' });
  autoScaling.on(SetDesiredCapacityCommand).resolves({});
  autoScaling.on(CreateOrUpdateTagsCommand).resolves({});
  activities();
});

afterAll(() => server.close());

describe('invoke-lipreading wakes the GPU group on demand', () => {
  it('scales an idle group to one instance and polls while it launches, without failing', async () => {
    // Prepare
    groupIs(0);

    // Act
    const before = Date.now();
    const state = await invoke(sampleEvent('invoke-lipreading', 'start.json'));
    const after = Date.now();

    // Assess
    expect(autoScaling).toHaveReceivedCommandWith(SetDesiredCapacityCommand, {
      AutoScalingGroupName: GROUP,
      DesiredCapacity: 1,
      HonorCooldown: false,
    });
    expect(state.status).toBe('running');
    expect(state.handle).toBeUndefined();
    expect(state.facts).toEqual({ warmingSince: expect.any(String), warmupDetail: expect.stringContaining(GROUP) });
    // Warming since this invocation: after the branch started, before the handler returned.
    const warmingSince = Date.parse(String(state.facts!.warmingSince));
    expect(Date.parse(state.startedAt)).toBeGreaterThanOrEqual(before);
    expect(warmingSince).toBeGreaterThanOrEqual(Date.parse(state.startedAt));
    expect(warmingSince).toBeLessThanOrEqual(after);
    expect(server.requests).toHaveLength(0);
    expect(stageUpdates(dynamodb)[0]!.record).toMatchObject({ status: 'running', facts: state.facts });
  });

  it('marks the group busy before it scales, so the idle stopper cannot race the wake-up', async () => {
    // Prepare
    groupIs(0);
    const before = Date.now();

    // Act
    await invoke(sampleEvent('invoke-lipreading', 'start.json'));

    // Assess
    const tagCalls = autoScaling.commandCalls(CreateOrUpdateTagsCommand);
    expect(tagCalls).toHaveLength(1);
    const [tag] = tagCalls[0]!.args[0].input.Tags!;
    expect(tag).toMatchObject({ ResourceId: GROUP, Key: 'gorggle:lipreading-busy-at', PropagateAtLaunch: false });
    expect(Date.parse(tag!.Value!)).toBeGreaterThanOrEqual(before - 1000);
    const order = autoScaling.calls().map((call) => call.args[0].constructor.name);
    expect(order.indexOf('CreateOrUpdateTagsCommand')).toBeLessThan(order.indexOf('SetDesiredCapacityCommand'));
  });

  it.each(['Pending', 'Pending:Wait', 'InService'])(
    'waits for a %s instance that EC2 has not started yet, without scaling again',
    async (lifecycle) => {
      // Prepare
      groupIs(1, lifecycle);
      instanceIs('pending');

      // Act
      const state = await invoke(warmingCheck(20));

      // Assess
      expect(autoScaling).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
      expect(state).toMatchObject({
        status: 'running',
        attempts: 2,
        facts: { warmupDetail: expect.stringContaining('pending') },
      });
      expect(state.handle).toBeUndefined();
    },
  );

  it('submits to http://<PrivateIpAddress>:<port> once running, recording the warm-up time', async () => {
    // Prepare
    groupIs(1, 'InService');
    instanceIs('running', '127.0.0.1');
    server.reply('POST /v1/jobs', { status: 202, body: { id: 'lr-woken' } });

    // Act
    const state = await invoke(warmingCheck(42));

    // Assess
    expect(ec2).toHaveReceivedCommandWith(DescribeInstancesCommand, { InstanceIds: [INSTANCE_ID] });
    expect(server.requests.map(({ method, url }) => `${method} ${url}`)).toEqual(['GET /health', 'POST /v1/jobs']);
    expect(state).toMatchObject({
      status: 'running',
      handle: 'lr-woken',
      facts: { endpoint: `http://127.0.0.1:${port}`, mode: 'avsr' },
    });
    expect(state.facts!.warmupSeconds).toBeGreaterThanOrEqual(42);
    expect(state.facts!.warmupSeconds).toBeLessThan(50);
  });

  it('treats a refused connection on a freshly launched instance as still installing', async () => {
    // Prepare: 127.0.0.2 is loopback too, but nothing listens there.
    groupIs(1, 'InService');
    instanceIs('running', '127.0.0.2');

    // Act
    const state = await invoke(warmingCheck(30));

    // Assess
    expect(state).toMatchObject({
      status: 'running',
      facts: { warmupDetail: expect.stringContaining('ECONNREFUSED') },
    });
  });

  it('skips lip reading at once, with AWS reason and advice, when the instance cannot launch (vCPU quota 0)', async () => {
    // Prepare: the group wants one instance but its latest launch failed.
    groupIs(1);
    activities({
      StatusCode: 'Failed',
      StatusMessage: QUOTA_MESSAGE,
      Description: 'Launching a new EC2 instance.  Status Reason: ...',
    });

    // Act
    const state = await invoke(warmingCheck(15));

    // Assess
    expect(state.status).toBe('skipped');
    expect(state.reason).toMatch(/could not be launched: You have requested more vCPU capacity/);
    expect(state.reason).toMatch(/Running On-Demand G and VT instances.*enable_lipreading = false/);
    expect(server.requests).toHaveLength(0);
    expect(stageUpdates(dynamodb)[0]!.record).toMatchObject({ status: 'skipped', facts: { reason: state.reason } });
  });

  it('keeps waiting while the launch is still in progress', async () => {
    // Prepare
    groupIs(1);
    activities({ StatusCode: 'InProgress', Description: 'Launching a new EC2 instance: i-0abc123def4567890' });

    // Act
    const state = await invoke(warmingCheck(15));

    // Assess
    expect(state).toMatchObject({ status: 'running', facts: { warmupDetail: expect.stringContaining('launching') } });
  });

  it('skips lip reading without waking the GPU when no model package is uploaded', async () => {
    // Prepare
    s3.on(HeadObjectCommand).rejects(new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } }));
    groupIs(0);

    // Act
    const state = await invoke(sampleEvent('invoke-lipreading', 'start.json'));

    // Assess
    expect(state.status).toBe('skipped');
    expect(state.reason).toBe(
      `no lip-reading model is uploaded (s3://${MANIFEST.bucket}/${MANIFEST.key} is missing): run make model-upload MODEL_DIR=<model package folder>`,
    );
    expect(autoScaling).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
    expect(s3).toHaveReceivedCommandWith(HeadObjectCommand, { Bucket: MANIFEST.bucket, Key: MANIFEST.key });
  });

  it('gives up with LipReadingUnavailableError once the warm-up exceeds its limit', async () => {
    // Prepare
    groupIs(1, 'Pending');
    instanceIs('pending');

    // Act
    const state = await invoke(warmingCheck(301));

    // Assess
    expect(state.status).toBe('failed');
    expect(state.error).toEqual({
      name: 'LipReadingUnavailableError',
      message: expect.stringMatching(/not ready after 30\d s.*AVHUBERT_WARMUP_MAX_SECONDS/),
    });
  });

  it('fails the branch with advice when the group does not exist', async () => {
    // Prepare
    autoScaling.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] });

    // Act
    const state = await invoke(sampleEvent('invoke-lipreading', 'start.json'));

    // Assess
    expect(state.status).toBe('failed');
    expect(state.error).toEqual({ name: 'ConfigurationError', message: expect.stringContaining(GROUP) });
  });
});
