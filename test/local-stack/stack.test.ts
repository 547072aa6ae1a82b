import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import { loadConfig } from '../../functions/lib/config';
import { resourceNames } from '../../scripts/local-stack/config';
import { LocalRoles, loadLocalModule, roleOfSessionToken } from '../../scripts/local-stack/iam-roles';
import { functionEnvironment, type EnvironmentContext } from '../../scripts/local-stack/lambda/environment';
import { StackAlreadyRunningError } from '../../scripts/local-stack/lock';
import { functionsBuilt, startLocalStack } from '../../scripts/local-stack/stack';
import { loadTerraformFacts, type TerraformFacts } from '../../scripts/local-stack/terraform-facts';
import { REPO_ROOT } from '../support/paths';
import { requireBuilt } from '../support/built-artifacts';

const LOCAL_TEST_SECRET = 'the-local-stack-makes-a-random-one-per-start';

const TERRAFORM_DIR = path.join(REPO_ROOT, 'terraform');
const DIST_DIR = path.join(REPO_ROOT, 'dist', 'functions');

describe('local function environments', () => {
  let facts: TerraformFacts;
  const config = { namePrefix: 'gorggle', region: 'us-east-1', accountId: '000000000000', pollIntervalSeconds: 1 };
  const endpoints = {
    s3: 'http://127.0.0.1:1',
    dynamodb: 'http://127.0.0.1:2',
    sfn: 'http://127.0.0.1:3',
    avhubert: 'http://127.0.0.1:4',
  };

  let context: EnvironmentContext;
  let roles: LocalRoles;

  beforeAll(async () => {
    facts = await loadTerraformFacts(TERRAFORM_DIR);
    const module = await loadLocalModule({ ...config, terraformDir: TERRAFORM_DIR });
    roles = new LocalRoles(module);
    context = {
      config,
      names: resourceNames(config),
      facts,
      endpoints,
      avhubertSecret: LOCAL_TEST_SECRET,
      module,
      roleOf: (fn) => roles.roleOfFunction(fn),
    };
  });

  it("gives the local lip-reading server the GPU instance's role, made only with lip reading", () => {
    expect(roles.roleOfResource('avhubert')).toBe('gorggle-avhubert');
  });

  it("sets every key Terraform sets, with local values each function's config schema accepts", async () => {
    for (const name of Object.keys(facts.functions)) {
      // Act
      const env = functionEnvironment(name, context, { taskRoot: '/tmp/task' });
      const { configSchema } = (await import(`../../functions/${name}/config`)) as {
        configSchema: Parameters<typeof loadConfig>[0];
      };

      // Assess
      // Replaced by their local stand-ins; the model manifest in S3 has none.
      const replaced: Record<string, string> = { AVHUBERT_SECRET_PARAMETER: 'AVHUBERT_SECRET' };
      const expectedKeys = Object.keys(facts.functions[name]!.environment)
        .filter((key) => key !== 'AVHUBERT_MODEL_MANIFEST')
        .map((key) => replaced[key] ?? key);
      expect(Object.keys(env)).toEqual(expect.arrayContaining(expectedKeys));
      expect(() => loadConfig(configSchema, env)).not.toThrow();
      expect(env).toMatchObject({
        AWS_ENDPOINT_URL_S3: endpoints.s3,
        AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
        AWS_ENDPOINT_URL_SFN: endpoints.sfn,
        AWS_LAMBDA_FUNCTION_NAME: `gorggle-${name}`,
        LAMBDA_TASK_ROOT: '/tmp/task',
      });
      // Its session token names its role, so the local S3 answers it as AWS answers that role.
      expect(roleOfSessionToken(env.AWS_SESSION_TOKEN)).toBe(`gorggle-${name}`);
    }
    expect(functionEnvironment('transcribe', context, { taskRoot: '/t' }).TRANSCRIBE_DATA_ACCESS_ROLE_ARN).toBe(
      'arn:aws:iam::000000000000:role/gorggle-transcribe-data-access',
    );
    const lipReading = functionEnvironment('invoke-lipreading', context, { taskRoot: '/t' });
    expect(lipReading).toMatchObject({
      LIPREADING_ENABLED: 'true',
      AVHUBERT_ENDPOINT: endpoints.avhubert,
      POLL_INTERVAL_SECONDS: '1',
    });
    expect(lipReading.AVHUBERT_MODEL_MANIFEST).toBeUndefined();
    // No SSM locally: the stack's own secret stands in for the parameter.
    expect(lipReading.AVHUBERT_SECRET).toBe(LOCAL_TEST_SECRET);
    expect(lipReading.AVHUBERT_SECRET_PARAMETER).toBeUndefined();
    const start = functionEnvironment('start-pipeline', context, { taskRoot: '/t' });
    expect(start.STATE_MACHINE_ARN).toBe('arn:aws:states:us-east-1:000000000000:stateMachine:gorggle-pipeline');
    expect(functionEnvironment('extract', context, { taskRoot: '/t' })).toMatchObject({
      JOBS_TABLE: 'gorggle-jobs',
      PROCESSED_BUCKET: 'gorggle-processed-000000000000-us-east-1',
      FFMPEG_TIMEOUT_SECONDS: String(facts.functions.extract!.timeoutSeconds - 60),
    });
  });
});

requireBuilt({ 'the Lambda zips': functionsBuilt(DIST_DIR, ['start-pipeline', 'extract', 'fuse']) });
describe('startLocalStack (needs `make build`)', () => {
  let dataDir: string;

  beforeAll(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'gorggle-stack-test-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('refuses to start without the Lambda zips, says which and how to build them, and leaves no lock', async () => {
    // Prepare
    const emptyDist = mkdtempSync(path.join(tmpdir(), 'gorggle-no-zips-'));
    const ownDataDir = mkdtempSync(path.join(tmpdir(), 'gorggle-stack-nozips-'));

    // Act
    const starting = startLocalStack({
      ports: 'random',
      dataDir: ownDataDir,
      functionsDir: emptyDist,
      transcribe: false,
      rekognition: false,
      avhubert: false,
    });

    // Assess
    await expect(starting).rejects.toThrow(
      new RegExp(`The Lambda zips .*extract\\.zip.* are missing from ${emptyDist}; run \`make build\` first\\.`),
    );
    expect(existsSync(path.join(ownDataDir, 'local-stack.lock'))).toBe(false);
    rmSync(emptyDist, { recursive: true, force: true });
    rmSync(ownDataDir, { recursive: true, force: true });
  });

  it('starts S3, DynamoDB and Step Functions on free ports, refuses a second start, and stops', async () => {
    // Act
    const stack = await startLocalStack({
      ports: 'random',
      dataDir,
      transcribe: false,
      rekognition: false,
      avhubert: false,
    });
    const second = startLocalStack({
      ports: 'random',
      dataDir,
      transcribe: false,
      rekognition: false,
      avhubert: false,
    });
    const clientOptions = {
      region: 'us-east-1',
      credentials: {
        accessKeyId: stack.clientEnv.AWS_ACCESS_KEY_ID!,
        secretAccessKey: stack.clientEnv.AWS_SECRET_ACCESS_KEY!,
      },
    };
    const s3 = new S3Client({ ...clientOptions, endpoint: stack.endpoints.s3, forcePathStyle: true });
    const dynamodb = new DynamoDBClient({ ...clientOptions, endpoint: stack.endpoints.dynamodb });
    const sfn = new SFNClient({ ...clientOptions, endpoint: stack.endpoints.sfn });
    try {
      const buckets = (await s3.send(new ListBucketsCommand({}))).Buckets?.map((bucket) => bucket.Name);
      const table = (await dynamodb.send(new DescribeTableCommand({ TableName: stack.names.jobsTable }))).Table;
      const machine = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: stack.names.stateMachineArn }));

      // Assess
      await expect(second).rejects.toBeInstanceOf(StackAlreadyRunningError);
      expect(buckets).toEqual(expect.arrayContaining([stack.names.uploadsBucket, stack.names.processedBucket]));
      expect(table?.KeySchema).toEqual([{ AttributeName: 'jobId', KeyType: 'HASH' }]);
      expect(table?.GlobalSecondaryIndexes?.[0]).toMatchObject({
        IndexName: 'recent',
        KeySchema: [
          { AttributeName: 'listPk', KeyType: 'HASH' },
          { AttributeName: 'createdAt', KeyType: 'RANGE' },
        ],
      });
      const definition = JSON.parse(machine.definition!) as { States: Record<string, { Resource?: string }> };
      expect(definition.States.ExtractMedia?.Resource).toBe(
        'arn:aws:lambda:us-east-1:000000000000:function:gorggle-extract',
      );
    } finally {
      s3.destroy();
      dynamodb.destroy();
      sfn.destroy();
      // A generous deadline: a stop that hangs on an open handle never ends at all.
      const stopping = Date.now();
      await stack.stop();
      expect(Date.now() - stopping).toBeLessThan(30_000);
    }
    expect(existsSync(path.join(dataDir, 'local-stack.lock'))).toBe(false);
    expect(existsSync(path.join(dataDir, 'logs', 'stack.log'))).toBe(true);
  });
});
