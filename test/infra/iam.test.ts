import { listFunctions } from '../../scripts/build/functions';
import {
  iamActionsFor,
  requiredActions,
  sdkCallsInSource,
  sdkCallsOfFunction,
  type SdkCall,
} from './support/code-facts';
import { GRANTS_BEYOND_CODE, WITHHELD_FROM_CODE } from './support/iam-reasons';
import { grantedActions, iamCoverageProblems } from './support/terraform-checks';
import { asArray, asRecord, cloneModule, loadTerraformModule, type TerraformModule } from './support/terraform-module';

const functions = listFunctions();

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
    expect(calls.map((call) => `${call.module} ${call.operation}`)).toEqual([
      '@aws-sdk/client-s3 GetObject',
      '@aws-sdk/client-s3 HeadObject',
      '@aws-sdk/client-rekognition GetFaceDetection',
      '@aws-sdk/lib-storage Upload',
    ]);
    expect(calls.flatMap(iamActionsFor)).toEqual([
      's3:GetObject',
      's3:GetObject',
      'rekognition:GetFaceDetection',
      's3:PutObject',
    ]);
  });

  it('maps Step Functions to the states prefix', () => {
    expect(iamActionsFor({ module: '@aws-sdk/client-sfn', operation: 'StartExecution' })).toEqual([
      'states:StartExecution',
    ]);
  });

  it('maps Auto Scaling to the autoscaling prefix', () => {
    expect(iamActionsFor({ module: '@aws-sdk/client-auto-scaling', operation: 'SetDesiredCapacity' })).toEqual([
      'autoscaling:SetDesiredCapacity',
    ]);
  });
});

describe('each function role against the SDK calls in its bundle', () => {
  let module: TerraformModule;
  const callsByFunction = new Map<string, SdkCall[]>();

  // Bundling every function is CPU-bound: give it room on a loaded machine.
  beforeAll(async () => {
    module = await loadTerraformModule();
    for (const fn of functions) callsByFunction.set(fn.name, await sdkCallsOfFunction(fn));
  }, 300_000);

  it('finds SDK calls in the bundles (the scan is not blind)', () => {
    const operations = [...callsByFunction.values()].flat().map((call) => call.operation);
    expect(operations).toEqual(expect.arrayContaining(['UpdateItem', 'GetObject']));
  });

  it.each(functions.map((fn) => fn.name))('%s: allows what its code calls, and explains the rest', (name) => {
    // Act
    const problems = iamCoverageProblems({
      functionName: name,
      granted: grantedActions(module, name),
      required: requiredActions(callsByFunction.get(name) ?? []),
      beyondCode: GRANTS_BEYOND_CODE,
      withheld: WITHHELD_FROM_CODE,
    });

    // Assess
    expect(problems).toEqual([]);
  });

  it('reports an action the code needs that the role lacks', () => {
    // Prepare
    const broken = cloneModule(module);
    const statements = asArray(broken.data.aws_iam_policy_document!.record_failure![0]!.statement);
    const jobRows = asRecord(statements.find((statement) => asRecord(statement).sid === 'FailJobRows'));
    jobRows.actions = ['dynamodb:GetItem'];

    // Act
    const problems = iamCoverageProblems({
      functionName: 'record-failure',
      granted: grantedActions(broken, 'record-failure'),
      required: requiredActions(callsByFunction.get('record-failure') ?? []),
      beyondCode: GRANTS_BEYOND_CODE,
      withheld: WITHHELD_FROM_CODE,
    });

    // Assess
    expect(problems).toEqual([
      expect.stringMatching(
        /^record-failure: the code needs dynamodb:UpdateItem \(UpdateItem in functions\/lib\/adapters/,
      ),
    ]);
  });

  it('reports an action the role allows that neither code nor a reason explains', () => {
    // Prepare
    const broken = cloneModule(module);
    const statements = asArray(broken.data.aws_iam_policy_document!.fuse![0]!.statement);
    statements.push({ sid: 'Oops', actions: ['s3:DeleteObject'], resources: ['*'] });

    // Act
    const problems = iamCoverageProblems({
      functionName: 'fuse',
      granted: grantedActions(broken, 'fuse'),
      required: requiredActions(callsByFunction.get('fuse') ?? []),
      beyondCode: GRANTS_BEYOND_CODE,
      withheld: WITHHELD_FROM_CODE,
    });

    // Assess
    expect(problems).toEqual([
      'fuse: the role allows s3:DeleteObject, which its code does not call and no reason explains',
    ]);
  });

  it('reports a withheld action that the role allows after all', () => {
    // Act
    const problems = iamCoverageProblems({
      functionName: 'fuse',
      granted: [...grantedActions(module, 'fuse'), 'dynamodb:PutItem'],
      required: requiredActions(callsByFunction.get('fuse') ?? []),
      beyondCode: GRANTS_BEYOND_CODE,
      withheld: WITHHELD_FROM_CODE,
    });

    // Assess
    expect(problems).toEqual(['fuse: dynamodb:PutItem is listed as withheld but the role allows it']);
  });
});
