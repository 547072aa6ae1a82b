import { COMMON_ENV_KEYS } from '../../functions/lib/config';
import { DEFAULT_ALLOWED_EXTENSIONS, DEFAULT_MAX_UPLOAD_BYTES } from '../../functions/start-pipeline/config';
import { listFunctions } from '../../scripts/build/functions';
import { SETTING_VARIABLES, readStateMachineTemplate, stateMachineFunctions } from '../../scripts/render-statemachine';
import { envSchemaFacts, type EnvSchemaFacts } from './support/env-schemas';
import { ALLOWED_MANAGED_POLICIES } from './support/iam-reasons';
import {
  actionWildcardProblems,
  bucketHardeningProblems,
  documentationProblems,
  environmentProblems,
  functionSetProblems,
  gpuDependencyProblems,
  recoverActionProblems,
  sharedNameProblems,
  stateMachineWiringProblems,
  templateSettingProblems,
  wiringProblems,
} from './support/terraform-checks';
import { asArray, asRecord, cloneModule, loadTerraformModule, type TerraformModule } from './support/terraform-module';

const builtFunctions = listFunctions().map((fn) => fn.name);

describe('the Terraform module', () => {
  let module: TerraformModule;
  let schemas: Record<string, EnvSchemaFacts>;

  beforeAll(async () => {
    module = await loadTerraformModule();
    schemas = Object.fromEntries(
      await Promise.all(builtFunctions.map(async (name) => [name, await envSchemaFacts(name)] as const)),
    );
  });

  describe('deploys exactly the functions the build bundles', () => {
    it('has one entry per functions/<name>/handler.ts', () => {
      expect(functionSetProblems(module, builtFunctions)).toEqual([]);
    });

    it('reports a function the module forgot', () => {
      // Prepare
      const broken = cloneModule(module);
      delete asRecord(broken.locals.lambda_functions).fuse;

      // Act
      const problems = functionSetProblems(broken, builtFunctions);

      // Assess
      expect(problems).toEqual(['functions/fuse is built but local.lambda_functions does not deploy it']);
    });

    it('wires code, environment and policy through the locals the checks read', () => {
      expect(wiringProblems(module)).toEqual([]);
    });

    it('reports a function on another runtime or with a role other than its own', () => {
      // Prepare
      const broken = cloneModule(module);
      const lambda = broken.resource.aws_lambda_function!.this![0]!;
      lambda.runtime = 'nodejs20.x';
      lambda.role = '${aws_iam_role.state_machine.arn}';

      // Act
      const problems = wiringProblems(broken);

      // Assess
      expect(problems).toEqual([
        'aws_lambda_function.this runtime is "nodejs20.x", expected "nodejs22.x"',
        'aws_lambda_function.this role is "${aws_iam_role.state_machine.arn}", expected "${aws_iam_role.function[each.key].arn}"',
      ]);
    });

    it('reports a role that takes rights from elsewhere', () => {
      // Prepare
      const broken = cloneModule(module);
      broken.resource.aws_iam_role_policy_attachment!.admin = [
        { role: '${aws_iam_role.function["fuse"].name}', policy_arn: 'arn:aws:iam::aws:policy/AdministratorAccess' },
      ];

      // Act
      const problems = wiringProblems(broken);

      // Assess
      expect(problems).toEqual(['aws_iam_role_policy_attachment.admin attaches more rights to the function roles']);
    });
  });

  describe('gives each function exactly the environment its configSchema reads', () => {
    it('sets every required key, no unknown key, and the common keys once', () => {
      expect(environmentProblems(module, schemas, COMMON_ENV_KEYS)).toEqual([]);
    });

    it('reports a missing required key and an unknown one', () => {
      // Prepare
      const broken = cloneModule(module);
      const environments = asRecord(broken.locals.function_environment);
      const fuse = asRecord(environments.fuse);
      delete fuse.PROCESSED_BUCKET;
      fuse.PROCESSED_BUCKET_NAME = 'typo';

      // Act
      const problems = environmentProblems(broken, schemas, COMMON_ENV_KEYS);

      // Assess
      expect(problems).toEqual([
        'fuse: PROCESSED_BUCKET is required by its configSchema but Terraform does not set it',
        'fuse: Terraform sets PROCESSED_BUCKET_NAME, which its configSchema does not read',
      ]);
    });

    it('reports a common key that is missing', () => {
      // Prepare
      const broken = cloneModule(module);
      delete asRecord(broken.locals.common_function_environment).NODE_OPTIONS;

      // Act
      const problems = environmentProblems(broken, schemas, COMMON_ENV_KEYS);

      // Assess
      expect(problems).toEqual([expect.stringMatching(/^local.common_function_environment has .* COMMON_ENV_KEYS/)]);
    });
  });

  describe('grants no wildcard actions', () => {
    it('has no Allow with * in an action, and every policy is a checkable document', () => {
      expect(actionWildcardProblems(module, ALLOWED_MANAGED_POLICIES)).toEqual([]);
    });

    it('reports s3:* in an Allow statement', () => {
      // Prepare
      const broken = cloneModule(module);
      const statements = asArray(broken.data.aws_iam_policy_document!.fuse![0]!.statement);
      asArray(asRecord(statements[1]).actions).push('s3:*');

      // Act
      const problems = actionWildcardProblems(broken, ALLOWED_MANAGED_POLICIES);

      // Assess
      expect(problems).toEqual([
        expect.stringMatching(/data.aws_iam_policy_document.fuse .*allows the wildcard action s3:\*/),
      ]);
    });

    it('reports an Allow written with not_actions', () => {
      // Prepare
      const broken = cloneModule(module);
      const statements = asArray(broken.data.aws_iam_policy_document!.fuse![0]!.statement);
      const statement = asRecord(statements[0]);
      statement.not_actions = ['iam:*'];
      delete statement.actions;

      // Act
      const problems = actionWildcardProblems(broken, ALLOWED_MANAGED_POLICIES);

      // Assess
      expect(problems).toEqual([
        expect.stringMatching(/data.aws_iam_policy_document.fuse .*an Allow with not_actions grants everything else/),
        expect.stringMatching(/data.aws_iam_policy_document.fuse .*actions must be a literal list/),
      ]);
    });

    it('reports an inline JSON policy and an unexplained managed policy', () => {
      // Prepare
      const broken = cloneModule(module);
      broken.resource.aws_iam_role_policy!.sneaky = [{ policy: '${jsonencode({ Statement = [] })}' }];
      broken.resource.aws_iam_role_policy_attachment!.power = [
        { policy_arn: 'arn:aws:iam::aws:policy/PowerUserAccess' },
      ];

      // Act
      const problems = actionWildcardProblems(broken, ALLOWED_MANAGED_POLICIES);

      // Assess
      expect(problems).toEqual([
        'aws_iam_role_policy.sneaky: write its policy as a data.aws_iam_policy_document so it can be checked',
        'aws_iam_role_policy_attachment.power: managed policy PowerUserAccess has no stated reason',
      ]);
    });
  });

  describe('hardens every bucket', () => {
    it('blocks public access, encrypts and refuses plain HTTP on every bucket', () => {
      expect(bucketHardeningProblems(module)).toEqual([]);
    });

    it('reports a bucket without full public access block, encryption or TLS-only policy', () => {
      // Prepare
      const broken = cloneModule(module);
      broken.resource.aws_s3_bucket!.scratch = [{ bucket: 'scratch' }];
      broken.resource.aws_s3_bucket_public_access_block!.scratch = [
        { bucket: '${aws_s3_bucket.scratch.id}', block_public_acls: true, block_public_policy: false },
      ];

      // Act
      const problems = bucketHardeningProblems(broken);

      // Assess
      expect(problems).toEqual([
        'aws_s3_bucket.scratch: no public access block with all four flags true',
        'aws_s3_bucket.scratch: no default server-side encryption',
        'aws_s3_bucket.scratch: no bucket policy that denies requests without TLS (aws:SecureTransport)',
      ]);
    });

    it('reports the shared buckets when their TLS condition is dropped', () => {
      // Prepare
      const broken = cloneModule(module);
      const statement = asRecord(asArray(broken.data.aws_iam_policy_document!.bucket_tls_only![0]!.statement)[0]);
      delete statement.condition;

      // Act
      const problems = bucketHardeningProblems(broken);

      // Assess
      expect(problems).toEqual([
        expect.stringMatching(/^aws_s3_bucket.this: no bucket policy that denies requests without TLS/),
      ]);
    });
  });

  describe('renders the state machine from the shared template', () => {
    const templateFunctions = stateMachineFunctions(readStateMachineTemplate());

    it('lets the state machine invoke exactly the functions the definition uses', () => {
      expect(stateMachineWiringProblems(module, templateFunctions)).toEqual([]);
    });

    it('reports a definition that invokes a function the role may not', () => {
      // Prepare
      const withExtra = [...templateFunctions, 'start-pipeline'];

      // Act
      const problems = stateMachineWiringProblems(module, withExtra);

      // Assess
      expect(problems).toEqual([
        expect.stringMatching(/local.state_machine_functions is .* but the definition invokes/),
      ]);
    });

    it('reports a state machine role that may invoke more than its own functions', () => {
      // Prepare
      const broken = cloneModule(module);
      const statements = asArray(broken.data.aws_iam_policy_document!.state_machine![0]!.statement);
      const invoke = asRecord(
        statements.find((statement) => asArray(asRecord(statement).actions).includes('lambda:InvokeFunction')),
      );
      invoke.resources = ['${aws_lambda_function.this["start-pipeline"].arn}'];

      // Act
      const problems = stateMachineWiringProblems(broken, templateFunctions);

      // Assess
      expect(problems).toEqual([
        'the state machine role must invoke exactly aws_lambda_function.this[name] for local.state_machine_functions',
      ]);
    });

    it('reports a definition not rendered from statemachine.asl.json with templatefile', () => {
      // Prepare
      const broken = cloneModule(module);
      broken.resource.aws_sfn_state_machine!.pipeline![0]!.definition = '${file("${path.module}/statemachine.json")}';

      // Act
      const problems = stateMachineWiringProblems(broken, templateFunctions);

      // Assess
      expect(problems).toEqual(['aws_sfn_state_machine.pipeline must render statemachine.asl.json with templatefile']);
    });

    it('passes every template setting with the default the local renderer uses', () => {
      expect(templateSettingProblems(module, SETTING_VARIABLES)).toEqual([]);
    });

    it('reports a setting whose default drifted from the renderer', () => {
      // Prepare
      const broken = cloneModule(module);
      broken.variable.max_poll_attempts![0]!.default = 3;

      // Act
      const problems = templateSettingProblems(broken, SETTING_VARIABLES);

      // Assess
      expect(problems).toEqual(['variable "max_poll_attempts" defaults to 3, the renderer to 240']);
    });
  });

  it('defaults the upload limits to what start-pipeline assumes without Terraform', () => {
    // Prepare
    const allowed = module.variable.allowed_extensions?.[0]?.default;
    const maxBytes = module.variable.max_upload_bytes?.[0]?.default;

    // Assess
    expect(allowed).toEqual(DEFAULT_ALLOWED_EXTENSIONS.split(','));
    expect(maxBytes).toBe(DEFAULT_MAX_UPLOAD_BYTES);
  });

  describe('keeps the pipeline independent of the GPU (D1)', () => {
    const pipeline = [
      'aws_lambda_function.this',
      'aws_sfn_state_machine.pipeline',
      'aws_lambda_event_source_mapping.upload_events',
      'aws_apigatewayv2_route.api',
      'aws_s3_object.web_index',
      'aws_s3_object.web_config',
    ];

    it('lets no function, state machine, trigger, route or page wait for a GPU resource', () => {
      expect(gpuDependencyProblems(module, pipeline)).toEqual([]);
    });

    it('reports a function policy that names the GPU group, with the path to it', () => {
      // Prepare: invoke-lipreading's policy scoped to the group resource, as the instance once was.
      const broken = cloneModule(module);
      const statements = asArray(broken.data.aws_iam_policy_document!.invoke_lipreading![0]!.statement);
      const wake = asRecord(statements.find((statement) => asRecord(statement).sid === 'WakeLipReadingServer'));
      wake.resources = ['${aws_autoscaling_group.avhubert[0].arn}'];

      // Act
      const problems = gpuDependencyProblems(broken, ['aws_lambda_function.this']);

      // Assess
      expect(problems).toEqual([
        'aws_lambda_function.this depends on the GPU resource aws_autoscaling_group.avhubert: aws_lambda_function.this -> aws_iam_role_policy.function -> local.function_policy_documents -> data.aws_iam_policy_document.invoke_lipreading -> aws_autoscaling_group.avhubert',
      ]);
    });
  });

  describe('uses no alarm action EC2 refuses for g4dn (D2)', () => {
    it('has no ec2:recover action', () => {
      expect(recoverActionProblems(module)).toEqual([]);
    });

    it('reports the recovery alarm the module once had', () => {
      // Prepare
      const broken = cloneModule(module);
      broken.resource.aws_cloudwatch_metric_alarm!.avhubert_recover = [
        { alarm_actions: ['arn:${local.partition}:automate:${var.region}:ec2:recover'] },
      ];

      // Act
      const problems = recoverActionProblems(broken);

      // Assess
      expect(problems).toEqual([
        expect.stringMatching(/^aws_cloudwatch_metric_alarm.avhubert_recover uses ec2:recover/),
      ]);
    });
  });

  describe('gives each stack its own names (R10)', () => {
    it('derives every name a function looks up from the stack', () => {
      expect(sharedNameProblems(module, ['NODE_OPTIONS'])).toEqual([]);
    });

    it('reports a lookup tag that is the same in every stack', () => {
      // Prepare: the GPU found by a fixed tag, as before.
      const broken = cloneModule(module);
      broken.locals.avhubert_role_tag = { key: 'gorggle:role', value: 'avhubert' };
      asRecord(asRecord(broken.locals.function_environment)['invoke-lipreading']).AVHUBERT_ASG_NAME =
        '${local.avhubert_role_tag.key}=${local.avhubert_role_tag.value}';

      // Act
      const problems = sharedNameProblems(broken, ['NODE_OPTIONS']);

      // Assess
      expect(problems).toEqual([
        'invoke-lipreading: AVHUBERT_ASG_NAME is the constant "gorggle:role=avhubert", the same in every stack; derive it from var.name_prefix',
      ]);
    });
  });

  describe('documents its interface', () => {
    it('types and describes every variable and describes every output', () => {
      expect(documentationProblems(module)).toEqual([]);
    });

    it('reports an undescribed variable', () => {
      // Prepare
      const broken = cloneModule(module);
      delete broken.variable.region![0]!.description;

      // Act
      const problems = documentationProblems(broken);

      // Assess
      expect(problems).toEqual(['variable "region" has no description']);
    });
  });
});
