/**
 * Checks of the parsed Terraform module against the code. Each is a pure function that
 * returns the problems it finds, so tests can also feed it broken copies.
 */
import type { EnvSchemaFacts } from './env-schemas';
import { asArray, asRecord, firstBlock, terraformName, type Block, type TerraformModule } from './terraform-module';

const FUNCTIONS_RESOURCE = 'this';
/** The functions a stack deploys: local.lambda_functions, less the GPU's own without lip reading. */
const DEPLOYED_FUNCTIONS = '${local.deployed_functions}';

/** Names of the functions the module deploys (keys of local.lambda_functions). */
export function deployedFunctions(module: TerraformModule): string[] {
  return Object.keys(asRecord(module.locals.lambda_functions)).sort();
}

/** The module deploys exactly the functions the build bundles, through one for_each resource. */
export function functionSetProblems(module: TerraformModule, builtFunctions: readonly string[]): string[] {
  const problems: string[] = [];
  const deployed = deployedFunctions(module);
  for (const name of builtFunctions.filter((fn) => !deployed.includes(fn))) {
    problems.push(`functions/${name} is built but local.lambda_functions does not deploy it`);
  }
  for (const name of deployed.filter((fn) => !builtFunctions.includes(fn))) {
    problems.push(`local.lambda_functions deploys "${name}", but there is no functions/${name}/handler.ts`);
  }
  const functions = module.resource.aws_lambda_function ?? {};
  const lambda = firstBlock(functions, FUNCTIONS_RESOURCE);
  if (!lambda || lambda.for_each !== DEPLOYED_FUNCTIONS) {
    problems.push('aws_lambda_function.this must exist with for_each = local.deployed_functions');
  }
  const deployedFrom = String(module.locals.deployed_functions ?? '');
  if (!/^\$\{\{\s*for name, fn in local\.lambda_functions : name => fn\b/.test(deployedFrom)) {
    problems.push('local.deployed_functions must be drawn from local.lambda_functions');
  }
  for (const other of Object.keys(functions).filter((name) => name !== FUNCTIONS_RESOURCE)) {
    problems.push(`aws_lambda_function.${other} bypasses local.lambda_functions, so no check covers it`);
  }
  return problems;
}

/**
 * The deployed function takes what the checks read: code from dist, environment from
 * local.common_function_environment + local.function_environment, policy from
 * local.function_policy_documents, each entry naming that function's own document.
 */
export function wiringProblems(module: TerraformModule): string[] {
  const problems: string[] = [];
  const lambda = firstBlock(module.resource.aws_lambda_function, FUNCTIONS_RESOURCE) ?? {};
  const expect = (actual: unknown, expected: unknown, what: string) => {
    if (JSON.stringify(actual) !== JSON.stringify(expected)) {
      problems.push(`${what} is ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
    }
  };
  expect(lambda.runtime, 'nodejs22.x', 'aws_lambda_function.this runtime');
  expect(lambda.handler, 'index.handler', 'aws_lambda_function.this handler');
  expect(
    asRecord(asArray(lambda.environment)[0]).variables,
    '${merge(local.common_function_environment, local.function_environment[each.key])}',
    'aws_lambda_function.this environment variables',
  );
  const rolePolicy = firstBlock(module.resource.aws_iam_role_policy, 'function') ?? {};
  expect(rolePolicy.for_each, DEPLOYED_FUNCTIONS, 'aws_iam_role_policy.function for_each');
  expect(rolePolicy.policy, '${local.function_policy_documents[each.key]}', 'aws_iam_role_policy.function policy');
  expect(lambda.role, '${aws_iam_role.function[each.key].arn}', 'aws_lambda_function.this role');

  const documents = asRecord(module.locals.function_policy_documents);
  for (const name of deployedFunctions(module)) {
    expect(
      documents[name],
      `\${data.aws_iam_policy_document.${terraformName(name)}.json}`,
      `local.function_policy_documents["${name}"]`,
    );
  }
  // Inline policies are all simulated (iam-simulation.test.ts); a managed one would escape it.
  for (const [name, blocks] of Object.entries(module.resource.aws_iam_role_policy_attachment ?? {})) {
    if (blocks.some((block) => JSON.stringify(block.role ?? '').includes('aws_iam_role.function'))) {
      problems.push(`aws_iam_role_policy_attachment.${name} attaches more rights to the function roles`);
    }
  }
  return problems;
}

/** Each function's environment holds the common keys plus only, and all required, configSchema keys. */
export function environmentProblems(
  module: TerraformModule,
  schemas: Readonly<Record<string, EnvSchemaFacts>>,
  commonKeys: readonly string[],
): string[] {
  const problems: string[] = [];
  const common = Object.keys(asRecord(module.locals.common_function_environment)).sort();
  if (JSON.stringify(common) !== JSON.stringify([...commonKeys].sort())) {
    problems.push(`local.common_function_environment has [${common}], COMMON_ENV_KEYS is [${[...commonKeys].sort()}]`);
  }
  const environments = asRecord(module.locals.function_environment);
  for (const name of deployedFunctions(module)) {
    const schema = schemas[name];
    if (!schema) {
      problems.push(`${name}: no configSchema found in functions/${name}/config.ts`);
      continue;
    }
    if (!(name in environments)) {
      problems.push(`${name}: local.function_environment has no entry`);
      continue;
    }
    const keys = Object.keys(asRecord(environments[name]));
    for (const key of schema.required.filter((required) => !keys.includes(required))) {
      problems.push(`${name}: ${key} is required by its configSchema but Terraform does not set it`);
    }
    for (const key of keys.filter((key) => !schema.keys.includes(key))) {
      problems.push(`${name}: Terraform sets ${key}, which its configSchema does not read`);
    }
    for (const key of keys.filter((key) => commonKeys.includes(key))) {
      problems.push(`${name}: ${key} is a common key; set it in local.common_function_environment`);
    }
  }
  return problems;
}

interface Statement {
  sid?: string;
  effect?: string;
  actions?: unknown;
  not_actions?: unknown;
}

const statementsOf = (document: Block | undefined): Statement[] => asArray(document?.statement) as Statement[];
const isAllow = (statement: Statement) => (statement.effect ?? 'Allow') === 'Allow';

/** No Allow statement anywhere grants a wildcard action, and every policy is checkable. */
export function actionWildcardProblems(
  module: TerraformModule,
  allowedManagedPolicies: ReadonlyMap<string, string>,
): string[] {
  const problems: string[] = [];
  for (const [name, blocks] of Object.entries(module.data.aws_iam_policy_document ?? {})) {
    for (const statement of blocks.flatMap(statementsOf)) {
      const label = `data.aws_iam_policy_document.${name}${statement.sid ? ` (${statement.sid})` : ''}`;
      if (isAllow(statement) && statement.not_actions !== undefined) {
        problems.push(`${label}: an Allow with not_actions grants everything else`);
      }
      if (isAllow(statement) && !Array.isArray(statement.actions)) {
        problems.push(`${label}: actions must be a literal list to be checked`);
      }
      for (const action of asArray(statement.actions).map(String)) {
        if (isAllow(statement) && action.includes('*')) problems.push(`${label}: allows the wildcard action ${action}`);
      }
    }
  }
  const policyResources = ['aws_iam_role_policy', 'aws_iam_policy', 'aws_s3_bucket_policy', 'aws_sqs_queue_policy'];
  for (const type of policyResources) {
    for (const [name, blocks] of Object.entries(module.resource[type] ?? {})) {
      for (const block of blocks) {
        const policy = String(block.policy ?? '');
        if (!/data\.aws_iam_policy_document\.|local\.function_policy_documents\[/.test(policy)) {
          problems.push(`${type}.${name}: write its policy as a data.aws_iam_policy_document so it can be checked`);
        }
      }
    }
  }
  for (const [name, blocks] of Object.entries(module.resource.aws_iam_role_policy_attachment ?? {})) {
    for (const block of blocks) {
      const managed = String(block.policy_arn ?? '').replace(/^.*:policy\//, '');
      if (!allowedManagedPolicies.has(managed)) {
        problems.push(`aws_iam_role_policy_attachment.${name}: managed policy ${managed} has no stated reason`);
      }
    }
  }
  return problems;
}

/** Whether a bucket-level resource covers bucket `name` (directly, or per key of its for_each). */
function coversBucket(block: Block, bucketName: string, bucket: Block): boolean {
  const reference = `aws_s3_bucket.${bucketName}`;
  if (bucket.for_each !== undefined) {
    return (
      block.for_each === `\${${reference}}` || (block.for_each === bucket.for_each && block.for_each !== undefined)
    );
  }
  return String(block.bucket ?? '').includes(`${reference}.`);
}

const SSE_ALGORITHMS = ['AES256', 'aws:kms', 'aws:kms:dsse'];

/** Every bucket blocks public access, encrypts at rest and refuses plain HTTP. */
export function bucketHardeningProblems(module: TerraformModule): string[] {
  const problems: string[] = [];
  const blocksOf = (type: string) => Object.values(module.resource[type] ?? {}).flat();
  for (const [name, [bucket = {}]] of Object.entries(module.resource.aws_s3_bucket ?? {})) {
    const label = `aws_s3_bucket.${name}`;
    const publicAccess = blocksOf('aws_s3_bucket_public_access_block').filter((block) =>
      coversBucket(block, name, bucket),
    );
    const flags = ['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets'];
    if (!publicAccess.some((block) => flags.every((flag) => block[flag] === true))) {
      problems.push(`${label}: no public access block with all four flags true`);
    }
    const encryption = blocksOf('aws_s3_bucket_server_side_encryption_configuration').filter((block) =>
      coversBucket(block, name, bucket),
    );
    const encrypts = encryption.some((block) =>
      asArray(block.rule).some((rule) =>
        asArray(asRecord(rule).apply_server_side_encryption_by_default).some((byDefault) =>
          SSE_ALGORITHMS.includes(String(asRecord(byDefault).sse_algorithm)),
        ),
      ),
    );
    if (!encrypts) problems.push(`${label}: no default server-side encryption`);

    const policies = blocksOf('aws_s3_bucket_policy').filter((block) => coversBucket(block, name, bucket));
    const tlsOnly = policies.some((policy) => {
      const documentName = /data\.aws_iam_policy_document\.([A-Za-z0-9_-]+)/.exec(String(policy.policy))?.[1];
      const document = documentName ? firstBlock(module.data.aws_iam_policy_document, documentName) : undefined;
      return statementsOf(document).some(
        (statement) =>
          statement.effect === 'Deny' &&
          asArray(statement.actions).includes('s3:*') &&
          asArray((statement as Block).condition).some((condition) => {
            const c = asRecord(condition);
            return c.test === 'Bool' && c.variable === 'aws:SecureTransport' && asArray(c.values).includes('false');
          }),
      );
    });
    if (!tlsOnly) problems.push(`${label}: no bucket policy that denies requests without TLS (aws:SecureTransport)`);
  }
  return problems;
}

/**
 * The state machine's role may invoke exactly the functions its definition uses, and the
 * template gets an ARN for each.
 */
export function stateMachineWiringProblems(module: TerraformModule, templateFunctions: readonly string[]): string[] {
  const problems: string[] = [];
  const listed = asArray(module.locals.state_machine_functions).map(String).sort();
  const used = [...templateFunctions].sort();
  if (JSON.stringify(listed) !== JSON.stringify(used)) {
    problems.push(`local.state_machine_functions is [${listed}], but the definition invokes [${used}]`);
  }
  for (const name of used.filter((fn) => !deployedFunctions(module).includes(fn))) {
    problems.push(`the definition invokes ${name}, which local.lambda_functions does not deploy`);
  }
  const invoke = statementsOf(firstBlock(module.data.aws_iam_policy_document, 'state_machine')).filter((statement) =>
    asArray(statement.actions).includes('lambda:InvokeFunction'),
  );
  const scoped = invoke.every((statement) =>
    /^\$\{\[for name in local\.state_machine_functions : aws_lambda_function\.this\[name\]\.arn\]\}$/.test(
      String((statement as Block).resources),
    ),
  );
  if (invoke.length === 0 || !scoped) {
    problems.push(
      'the state machine role must invoke exactly aws_lambda_function.this[name] for local.state_machine_functions',
    );
  }
  const definition = String(firstBlock(module.resource.aws_sfn_state_machine, 'pipeline')?.definition ?? '');
  if (!definition.includes('templatefile("${path.module}/statemachine.asl.json"')) {
    problems.push('aws_sfn_state_machine.pipeline must render statemachine.asl.json with templatefile');
  }
  return problems;
}

/**
 * Terraform passes every setting the template interpolates, straight from the variable of
 * the same name, whose default is the renderer's default (so local runs match AWS).
 */
export function templateSettingProblems(module: TerraformModule, settings: Readonly<Record<string, number>>): string[] {
  const problems: string[] = [];
  const definition = String(firstBlock(module.resource.aws_sfn_state_machine, 'pipeline')?.definition ?? '');
  for (const [name, value] of Object.entries(settings)) {
    if (!new RegExp(`\\b${name}\\s*=\\s*var\\.${name}\\b`).test(definition)) {
      problems.push(`aws_sfn_state_machine.pipeline does not pass ${name} = var.${name} to the template`);
    }
    const variable = module.variable[name]?.[0];
    if (!variable) problems.push(`variable "${name}" is not declared`);
    else if (variable.default !== value) {
      problems.push(`variable "${name}" defaults to ${String(variable.default)}, the renderer to ${value}`);
    }
  }
  return problems;
}

/** Every variable is typed and described, and every output described. */
export function documentationProblems(module: TerraformModule): string[] {
  const problems: string[] = [];
  for (const [name, [variable = {}]] of Object.entries(module.variable)) {
    if (!variable.type) problems.push(`variable "${name}" has no type`);
    if (!variable.description) problems.push(`variable "${name}" has no description`);
  }
  for (const [name, [output = {}]] of Object.entries(module.output)) {
    if (!output.description) problems.push(`output "${name}" has no description`);
  }
  return problems;
}

type Node = { kind: 'resource' | 'data' | 'local'; address: string };

const REFERENCE = /\b(data\.)?(aws_[a-z0-9_]+)\.([a-z0-9_]+)\b|\blocal\.([a-z0-9_]+)/g;

/** The resources, data sources and locals one block or value refers to (by name, not instance). */
export function referencesOf(value: unknown): Node[] {
  const found = new Map<string, Node>();
  for (const [, data, type, name, local] of JSON.stringify(value ?? null).matchAll(REFERENCE)) {
    const node: Node = local
      ? { kind: 'local', address: `local.${local}` }
      : { kind: data ? 'data' : 'resource', address: `${data ? 'data.' : ''}${type}.${name}` };
    found.set(node.address, node);
  }
  return [...found.values()];
}

function blockOf(module: TerraformModule, node: Node): unknown {
  if (node.kind === 'local') return module.locals[node.address.slice('local.'.length)];
  const [type = '', name = ''] = node.address.replace(/^data\./, '').split('.');
  return (node.kind === 'data' ? module.data : module.resource)[type]?.[name];
}

/**
 * D1: the pipeline must not wait for, or fail with, the GPU. Nothing that `roots` refer to,
 * directly or through locals, data sources and depends_on, may be a GPU resource: the path
 * to the first one found is reported.
 */
export function gpuDependencyProblems(
  module: TerraformModule,
  roots: readonly string[],
  gpuTypes: readonly string[] = [
    'aws_instance',
    'aws_autoscaling_group',
    'aws_launch_template',
    'aws_iam_instance_profile',
    'aws_kms_grant',
  ],
): string[] {
  const problems: string[] = [];
  for (const root of roots) {
    const start: Node = { kind: 'resource', address: root };
    const cameFrom = new Map<string, string | undefined>([[root, undefined]]);
    const queue: Node[] = [start];
    while (queue.length) {
      const node = queue.shift()!;
      if (node.kind === 'resource' && gpuTypes.includes(node.address.split('.')[0]!)) {
        const path: string[] = [];
        for (let at: string | undefined = node.address; at; at = cameFrom.get(at)) path.unshift(at);
        problems.push(`${root} depends on the GPU resource ${node.address}: ${path.join(' -> ')}`);
        break;
      }
      for (const next of referencesOf(blockOf(module, node))) {
        if (cameFrom.has(next.address)) continue;
        cameFrom.set(next.address, node.address);
        queue.push(next);
      }
    }
  }
  return problems;
}

/** D2: EC2 refuses the recover action for instance types with an instance store (g4dn). */
export function recoverActionProblems(module: TerraformModule): string[] {
  return Object.entries(module.resource.aws_cloudwatch_metric_alarm ?? {}).flatMap(([name, blocks]) =>
    JSON.stringify(blocks).includes(':ec2:recover')
      ? [
          `aws_cloudwatch_metric_alarm.${name} uses ec2:recover, which EC2 refuses for instances with an instance store (g4dn)`,
        ]
      : [],
  );
}

/** Replaces ${local.a.b} by the local's literal value, as far as locals are literals. */
export function resolveLocals(expression: string, module: TerraformModule, depth = 0): string {
  if (depth > 10) return expression;
  const resolved = expression.replace(
    /\$\{local\.([a-z0-9_]+)((?:\.[a-z0-9_]+)*)\}/g,
    (match, name: string, path: string) => {
      let value: unknown = module.locals[name];
      for (const key of path.split('.').filter(Boolean)) value = asRecord(value)[key];
      return typeof value === 'string' || typeof value === 'number' ? String(value) : match;
    },
  );
  return resolved === expression ? resolved : resolveLocals(resolved, module, depth + 1);
}

/**
 * R10: an environment value that names something must differ between two stacks in one
 * account and region: it refers to a resource or variable, or contains var.name_prefix.
 * Literal constants are allowed only for `constantKeys` (settings such as NODE_OPTIONS).
 */
export function sharedNameProblems(module: TerraformModule, constantKeys: readonly string[]): string[] {
  const problems: string[] = [];
  const environments = {
    common: module.locals.common_function_environment,
    ...asRecord(module.locals.function_environment),
  };
  for (const [functionName, environment] of Object.entries(environments)) {
    for (const [key, raw] of Object.entries(asRecord(environment))) {
      if (constantKeys.includes(key)) continue;
      const value = resolveLocals(String(raw), module);
      if (!value.includes('${')) {
        problems.push(
          `${functionName}: ${key} is the constant "${value}", the same in every stack; derive it from var.name_prefix`,
        );
      }
    }
  }
  return problems;
}
