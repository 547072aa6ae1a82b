/**
 * Least privilege, proven by simulation: every request each role really makes (the SDK
 * commands in its code, with their resources and condition keys, and what AWS does on its
 * behalf) runs through @cloud-copilot/iam-simulate against the policies Terraform renders.
 * A denied request fails, and so does a grant that no request uses.
 */
import path from 'node:path';
import { listFunctions } from '../../scripts/build/functions';
import { readStateMachineTemplate, stateMachineFunctions } from '../../scripts/render-statemachine';
import type { Lazy } from '../../scripts/terraform/hcl-expression';
import { EvaluatedModule, type RoleFacts } from '../../scripts/terraform/module';
import { REPO_ROOT } from '../support/paths';
import {
  callKey,
  iamActionsFor,
  sdkCallsInSource,
  sdkCallsOfFunction,
  sdkCallsOfLipReadingServer,
  type SdkCall,
} from './support/code-facts';
import { ALLOWED_MANAGED_POLICIES } from './support/iam-reasons';
import {
  SampleArns,
  defaultCallRequests,
  roleRequests,
  runtimeRequests,
  serverCallRequests,
  serviceRoleRequests,
  type CallKey,
  type IamRequest,
} from './support/iam-requests';
import { requestsOfCalls, simulateRole, type SimulationOutcome } from './support/iam-simulation';

const functions = listFunctions();

const byCall = (calls: readonly SdkCall[]) => {
  const present = new Map<CallKey, string[]>();
  for (const call of calls) {
    const files = present.get(callKey(call)) ?? [];
    if (!files.includes(call.file)) files.push(call.file);
    present.set(callKey(call), files);
  }
  return present;
};

const problemsOf = (outcome: SimulationOutcome) => [...outcome.invalid, ...outcome.denied, ...outcome.unused];

describe('reading SDK calls from source', () => {
  it('finds commands, paginators and lib-storage uploads, and skips type-only imports', () => {
    // Prepare
    const source = [
      "import { GetObjectCommand as Get, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';",
      "import type { StartExecutionCommand } from '@aws-sdk/client-sfn';",
      "import { paginateGetFaceDetection } from '@aws-sdk/client-rekognition';",
      "import { Upload } from '@aws-sdk/lib-storage';",
      'await s3.send(new Get({ Bucket, Key }));',
      'await s3.send(new HeadObjectCommand({ Bucket, Key }));',
      'for await (const page of paginateGetFaceDetection({ client }, { JobId })) {}',
      'await new Upload({ client, params }).done();',
      // PutObjectCommand is imported but never constructed.
    ].join('\n');

    // Act
    const calls = sdkCallsInSource(source, 'example.ts');

    // Assess
    expect(calls.map(callKey)).toEqual([
      's3.GetObject',
      's3.HeadObject',
      'rekognition.GetFaceDetection',
      'storage.Upload',
    ]);
    expect(calls.flatMap(iamActionsFor)).toEqual([
      's3:GetObject',
      's3:GetObject',
      'rekognition:GetFaceDetection',
      's3:PutObject',
    ]);
  });

  it('maps Auto Scaling to the autoscaling prefix', () => {
    expect(iamActionsFor({ module: '@aws-sdk/client-auto-scaling', operation: 'SetDesiredCapacity' })).toEqual([
      'autoscaling:SetDesiredCapacity',
    ]);
  });
});

describe('every role, simulated against the policies Terraform renders', () => {
  let module: EvaluatedModule;
  let roles: Map<string, RoleFacts>;
  let arns: SampleArns;
  const callsByFunction = new Map<string, SdkCall[]>();

  const roleOfFunction = (fn: string): RoleFacts => {
    const lambda = (module.instances('resource', 'aws_lambda_function', 'this') as Record<string, Lazy>)[fn];
    const arn = String(lambda?.get('role'));
    const role = [...roles.values()].find((candidate) => candidate.arn === arn);
    if (!role) throw new Error(`${fn} runs as ${arn}, which the module does not create`);
    return role;
  };
  const roleOfResource = (name: string): RoleFacts => {
    const role = [...roles.values()].find((candidate) => candidate.arn === arns.role(name));
    if (!role) throw new Error(`aws_iam_role.${name} is not in the module`);
    return role;
  };

  beforeAll(async () => {
    // Lip reading on: every role the module can create exists.
    module = await EvaluatedModule.load(path.join(REPO_ROOT, 'terraform'), { variables: { enable_lipreading: true } });
    roles = module.roles();
    arns = new SampleArns(module);
    for (const fn of functions) callsByFunction.set(fn.name, await sdkCallsOfFunction(fn));
    // Bundling every function is CPU-bound: give it room on a loaded machine.
  }, 300_000);

  it('finds SDK calls in the bundles (the scan is not blind)', () => {
    const keys = [...callsByFunction.values()].flat().map(callKey);
    expect(keys).toEqual(expect.arrayContaining(['dynamodb.UpdateItem', 's3.GetObject', 'sfn.StartExecution']));
  });

  it.each(functions.map((fn) => fn.name))(
    '%s: every request its code and AWS make is allowed, and every grant is used',
    async (name) => {
      // Prepare
      const described = roleRequests(arns)[name];
      const { requests, undescribed, stale } = requestsOfCalls(
        byCall(callsByFunction.get(name) ?? []),
        described?.calls ?? {},
        defaultCallRequests(arns),
      );
      const onBehalf = described?.onBehalf ?? runtimeRequests(arns, name);

      // Act
      const outcome = await simulateRole(roleOfFunction(name), [...requests, ...onBehalf]);

      // Assess
      expect([...undescribed, ...stale, ...problemsOf(outcome)]).toEqual([]);
    },
  );

  it('the state machine role invokes exactly the functions its rendered definition names', async () => {
    // Prepare
    const invoked = stateMachineFunctions(readStateMachineTemplate());

    // Act
    const outcome = await simulateRole(
      roleOfResource('state_machine'),
      serviceRoleRequests(arns, invoked).state_machine!,
    );

    // Assess
    expect(invoked.length).toBeGreaterThan(0);
    expect(problemsOf(outcome)).toEqual([]);
  });

  it("Transcribe's data access role reads the audio and writes the transcript, nothing more", async () => {
    // Act
    const outcome = await simulateRole(
      roleOfResource('transcribe_data_access'),
      serviceRoleRequests(arns, []).transcribe_data_access!,
    );

    // Assess
    expect(problemsOf(outcome)).toEqual([]);
  });

  it("the lip-reading instance's role reads its video and writes its result, nowhere else under jobs/", async () => {
    // Prepare
    const calls = await sdkCallsOfLipReadingServer();
    const { requests, undescribed, stale } = requestsOfCalls(byCall(calls), serverCallRequests(arns));
    const role = roleOfResource('avhubert');

    // Act
    const outcome = await simulateRole(role, [...requests, ...serviceRoleRequests(arns, []).avhubert!]);
    const strayWrite = await simulateRole(role, [
      { action: 's3:PutObject', resource: arns.jobFile('result.json'), why: 'overwriting another file of the job' },
    ]);

    // Assess
    expect(calls.length).toBeGreaterThan(0);
    expect([...undescribed, ...stale, ...problemsOf(outcome)]).toEqual([]);
    expect(strayWrite.denied).toHaveLength(1);
    expect(
      role.managedPolicyArns
        .map((arn) => arn.split('/').pop())
        .filter((name) => !ALLOWED_MANAGED_POLICIES.has(name ?? '')),
    ).toEqual([]);
  });

  it('checks every role the module creates', () => {
    // Prepare
    const checked = new Set([
      ...functions.map((fn) => roleOfFunction(fn.name).name),
      ...['state_machine', 'transcribe_data_access', 'avhubert'].map((name) => roleOfResource(name).name),
    ]);

    // Assess
    expect([...roles.keys()].filter((name) => !checked.has(name))).toEqual([]);
  });

  describe('catches what it is for', () => {
    const missingUpload = (): IamRequest => ({
      action: 's3:ListBucket',
      resource: arns.bucket('uploads'),
      why: 'a HEAD of a deleted upload',
    });

    it('reports a request the role denies: a prefix-conditioned ListBucket never applies to a missing key', async () => {
      // Prepare: the grant as it was, ListBucket only for listings under a prefix.
      const role = structuredClone(roleOfFunction('start-pipeline'));
      const policy = role.policies[0]!.document;
      const seeDeleted = policy.Statement.find((statement) => statement.Sid === 'SeeDeletedUploads')!;
      seeDeleted.Condition = { StringLike: { 's3:prefix': ['uploads/*'] } };

      // Act
      const outcome = await simulateRole(role, [missingUpload()]);

      // Assess
      expect(outcome.denied).toEqual([
        expect.stringMatching(
          /^s3:ListBucket on arn:aws:s3:::.*uploads.* \(a HEAD of a deleted upload\) is ImplicitlyDenied$/,
        ),
      ]);
    });

    it('reports a grant that no request uses', async () => {
      // Prepare
      const role = structuredClone(roleOfFunction('record-failure'));
      role.policies[0]!.document.Statement.push({
        Sid: 'Oops',
        Effect: 'Allow',
        Action: ['dynamodb:GetItem'],
        Resource: [arns.table('jobs')],
      });

      // Act
      const outcome = await simulateRole(role, [
        ...(roleRequests(arns)['record-failure']!.calls['dynamodb.UpdateItem'] as IamRequest[]),
      ]);

      // Assess
      expect(outcome.unused).toEqual(
        expect.arrayContaining([
          'Oops (aws_iam_role_policy.function["record-failure"]) grants dynamodb:GetItem, which no request uses',
        ]),
      );
    });

    it('reports an SDK command nobody described, and a description of a command the code lost', () => {
      // Act
      const result = requestsOfCalls(
        new Map<CallKey, string[]>([['s3.DeleteObject', ['functions/lib/adapters/example.ts']]]),
        { 'dynamodb.Query': [] },
      );

      // Assess
      expect(result.undescribed).toEqual([
        expect.stringMatching(/sends s3\.DeleteObject \(functions\/lib\/adapters\/example\.ts\)/),
      ]);
      expect(result.stale).toEqual(['iam-requests.ts describes dynamodb.Query, which its code no longer sends']);
    });
  });
});
