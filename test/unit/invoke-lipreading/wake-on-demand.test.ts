import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeInstancesCommand,
  EC2Client,
  StartInstancesCommand,
  type InstanceStateName,
} from '@aws-sdk/client-ec2';
import { GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { branchStateSchema, type BranchTaskInput } from '../../../functions/lib/contracts/pipeline';
import { lambdaContext, sampleEvent, setBranchEnv, stageUpdates } from '../branches/support';
import { ScriptedServer } from './scripted-server';

const server = new ScriptedServer();
const port = await server.listen();
setBranchEnv({
  AVHUBERT_ENDPOINT: '',
  AVHUBERT_INSTANCE_TAG: 'gorggle:role=avhubert',
  AVHUBERT_PORT: String(port),
  AVHUBERT_WARMUP_MAX_SECONDS: '300',
  AVHUBERT_SECRET_PARAMETER: '/gorggle/avhubert/shared-secret',
});

// Imported after the environment is set: the logger reads it when the module loads.
const { handler } = await import('../../../functions/invoke-lipreading/handler');

const ec2 = mockClient(EC2Client);
const dynamodb = mockClient(DynamoDBClient);
// The server's shared secret, as Terraform leaves it in SSM.
mockClient(SSMClient)
  .on(GetParametersCommand)
  .resolves({ Parameters: [{ Name: '/gorggle/avhubert/shared-secret', Value: 'x'.repeat(64) }] });
const context = lambdaContext('gorggle-invoke-lipreading');
const invoke = async (event: unknown) => branchStateSchema.parse(await handler(event, context));

const INSTANCE_ID = 'i-0abc123def4567890';

/** DescribeInstances answering with one tagged instance in `state`. */
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
  ec2.reset();
  dynamodb.reset();
  dynamodb.on(UpdateItemCommand).resolves({});
  ec2.on(StartInstancesCommand).resolves({});
});

afterAll(() => server.close());

describe('invoke-lipreading wake on demand', () => {
  it('starts a stopped instance and polls while it warms, without failing', async () => {
    // Prepare
    instanceIs('stopped');

    // Act
    const state = await invoke(sampleEvent('invoke-lipreading', 'start.json'));

    // Assess
    expect(ec2).toHaveReceivedCommandWith(DescribeInstancesCommand, {
      Filters: [
        { Name: 'tag:gorggle:role', Values: ['avhubert'] },
        { Name: 'instance-state-name', Values: ['running', 'pending', 'stopping', 'stopped'] },
      ],
    });
    expect(ec2).toHaveReceivedCommandWith(StartInstancesCommand, { InstanceIds: [INSTANCE_ID] });
    expect(state.status).toBe('running');
    expect(state.handle).toBeUndefined();
    expect(state.facts).toEqual({
      warmingSince: expect.any(String),
      warmupDetail: expect.stringContaining(INSTANCE_ID),
    });
    const warmingSince = Date.parse(String(state.facts!.warmingSince));
    expect(Math.abs(warmingSince - Date.parse(state.startedAt))).toBeLessThan(1000);
    expect(server.requests).toHaveLength(0);
    expect(stageUpdates(dynamodb)[0]!.record).toMatchObject({ status: 'running', facts: state.facts });
  });

  it.each(['pending', 'stopping'] as const)(
    'waits for a %s instance without starting it again',
    async (instanceState) => {
      // Prepare
      instanceIs(instanceState);

      // Act
      const state = await invoke(warmingCheck(20));

      // Assess
      expect(ec2).not.toHaveReceivedCommand(StartInstancesCommand);
      expect(state).toMatchObject({
        status: 'running',
        attempts: 2,
        facts: { warmupDetail: expect.stringContaining(instanceState) },
      });
      expect(state.handle).toBeUndefined();
    },
  );

  it('submits to http://<PrivateIpAddress>:<port> once running, recording the warm-up time', async () => {
    // Prepare
    instanceIs('running', '127.0.0.1');
    server.reply('POST /v1/jobs', { status: 202, body: { id: 'lr-woken' } });
    const event = warmingCheck(42);

    // Act
    const state = await invoke(event);

    // Assess
    expect(server.requests.map(({ method, url }) => `${method} ${url}`)).toEqual(['GET /health', 'POST /v1/jobs']);
    expect(state).toMatchObject({
      status: 'running',
      handle: 'lr-woken',
      facts: { endpoint: `http://127.0.0.1:${port}`, mode: 'avsr' },
    });
    expect(state.facts!.warmupSeconds).toBeGreaterThanOrEqual(42);
    expect(state.facts!.warmupSeconds).toBeLessThan(50);
    expect(stageUpdates(dynamodb)[0]!.record.facts).toMatchObject({ warmupSeconds: state.facts!.warmupSeconds });
  });

  it('treats a refused connection on a freshly woken host as still booting', async () => {
    // Prepare: 127.0.0.2 is loopback too, but nothing listens there.
    instanceIs('running', '127.0.0.2');

    // Act
    const state = await invoke(warmingCheck(30));

    // Assess
    expect(state).toMatchObject({
      status: 'running',
      facts: { warmupDetail: expect.stringContaining('ECONNREFUSED') },
    });
    expect(state.handle).toBeUndefined();
  });

  it('gives up with LipReadingUnavailableError once the warm-up exceeds its limit', async () => {
    // Prepare
    instanceIs('pending');

    // Act
    const state = await invoke(warmingCheck(301));

    // Assess
    expect(state.status).toBe('failed');
    expect(state.error).toEqual({
      name: 'LipReadingUnavailableError',
      message: expect.stringMatching(/not ready after 30\d s.*AVHUBERT_WARMUP_MAX_SECONDS/),
    });
    expect(stageUpdates(dynamodb)[0]!.record).toMatchObject({
      status: 'failed',
      facts: { warmupSeconds: expect.any(Number) },
    });
  });

  it('fails the branch with advice when no instance carries the tag', async () => {
    // Prepare
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });

    // Act
    const state = await invoke(sampleEvent('invoke-lipreading', 'start.json'));

    // Assess
    expect(state.status).toBe('failed');
    expect(state.error).toEqual({
      name: 'ConfigurationError',
      message: expect.stringContaining('gorggle:role=avhubert'),
    });
  });
});
