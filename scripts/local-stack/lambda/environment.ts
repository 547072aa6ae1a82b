/**
 * Each function's environment: exactly the keys Terraform sets for it (terraform/pipeline.tf),
 * with local values, plus what the Lambda runtime itself provides and the SDK endpoints.
 */
import type { EvaluatedModule } from '../../terraform/module';
import type { LocalStackConfig, ResourceNames } from '../config';
import { LOCAL_CREDENTIALS } from '../config';
import { sessionTokenFor } from '../iam-roles';
import { resolveVariables, type FunctionFacts, type TerraformFacts } from '../terraform-facts';

export interface LocalEndpoints {
  s3?: string;
  dynamodb?: string;
  sfn?: string;
  transcribe?: string;
  rekognition?: string;
  avhubert?: string;
  ssm?: string;
}

export interface EnvironmentContext {
  config: Pick<LocalStackConfig, 'namePrefix' | 'region' | 'accountId' | 'pollIntervalSeconds'> &
    Partial<Pick<LocalStackConfig, 'functionEnvironment'>>;
  names: ResourceNames;
  facts: TerraformFacts;
  endpoints: LocalEndpoints;
  /** terraform/ evaluated with local names: resolves what the patterns below do not. */
  module?: EvaluatedModule;
  /** The IAM role each function runs as; its session token names it, so local S3 answers as AWS would. */
  roleOf?: (functionName: string) => string;
  /** The shared secret of the local lip-reading server (random per stack). */
  avhubertSecret: string;
}

/** Keys whose Terraform value points at AWS-only infrastructure, and what replaces them locally. */
const LOCAL_REPLACEMENTS: Record<string, (context: EnvironmentContext) => Record<string, string>> = {
  // Locally lip reading is on exactly when the stack runs a lip-reading server beside it: no
  // GPU group to wake, the fixed endpoint instead.
  LIPREADING_ENABLED: ({ endpoints }): Record<string, string> =>
    endpoints.avhubert
      ? { LIPREADING_ENABLED: 'true', AVHUBERT_ENDPOINT: endpoints.avhubert }
      : { LIPREADING_ENABLED: 'false' },
  // The local server has its model already; there is no artifacts bucket holding one.
  AVHUBERT_MODEL_MANIFEST: (): Record<string, string> => ({}),
  // No SSM locally: the secret the stack generated for its lip-reading server, given directly.
  AVHUBERT_SECRET_PARAMETER: ({ avhubertSecret }): Record<string, string> => ({ AVHUBERT_SECRET: avhubertSecret }),
};

/** The SDK's own endpoint variables, so the unchanged bundles talk to the local services. */
export function endpointEnvironment(endpoints: LocalEndpoints): Record<string, string> {
  const env: Record<string, string> = {};
  if (endpoints.s3) env.AWS_ENDPOINT_URL_S3 = endpoints.s3;
  if (endpoints.dynamodb) env.AWS_ENDPOINT_URL_DYNAMODB = endpoints.dynamodb;
  if (endpoints.sfn) env.AWS_ENDPOINT_URL_SFN = endpoints.sfn;
  if (endpoints.transcribe) env.AWS_ENDPOINT_URL_TRANSCRIBE = endpoints.transcribe;
  if (endpoints.rekognition) env.AWS_ENDPOINT_URL_REKOGNITION = endpoints.rekognition;
  if (endpoints.ssm) env.AWS_ENDPOINT_URL_SSM = endpoints.ssm;
  return env;
}

/** What a client (CLI, tests) needs in its environment to use the stack with the plain SDK. */
export function clientEnvironment(region: string, endpoints: LocalEndpoints): Record<string, string> {
  return {
    ...LOCAL_CREDENTIALS,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_EC2_METADATA_DISABLED: 'true',
    ...endpointEnvironment(endpoints),
  };
}

/**
 * Resolves one Terraform expression to its local value. Handles the shapes pipeline.tf uses;
 * anything else throws, so a new key cannot silently go missing locally.
 */
export function resolveExpression(expression: string, context: EnvironmentContext, fn: FunctionFacts): string {
  const { facts, names, config } = context;
  const variables: Record<string, unknown> = {
    ...facts.variableDefaults,
    name_prefix: config.namePrefix,
    region: config.region,
    poll_interval_seconds: config.pollIntervalSeconds,
  };
  const inner = /^\$\{(.*)\}$/s.exec(expression)?.[1]?.trim();
  if (inner === undefined) {
    const resolved = resolveVariables(expression, variables);
    if (!resolved.includes('${')) return resolved;
    throw unresolvable(expression, fn);
  }
  // Capture groups of `pattern` against the expression, or undefined when it does not match.
  const groups = (pattern: RegExp) =>
    pattern
      .exec(inner)
      ?.slice(1)
      .map((group) => group ?? '');
  const variable = groups(/^(?:tostring\()?var\.([a-z0-9_]+)\)?$/);
  if (variable) {
    const value = variables[variable[0] ?? ''];
    if (value !== undefined && value !== null) return String(value);
  }
  const joined = groups(/^join\("(.*)",\s*var\.([a-z0-9_]+)\)$/);
  if (joined) {
    const [separator = ',', name = ''] = joined;
    const value = variables[name];
    if (Array.isArray(value)) return value.map(String).join(separator);
  }
  const tableResource = groups(/^aws_dynamodb_table\.([a-z0-9_]+)\.name$/)?.[0];
  const table = facts.tables.find((candidate) => candidate.resource === tableResource);
  if (table) return resolveVariables(table.nameTemplate, variables);
  const bucketKey = groups(/^aws_s3_bucket\.this\["([a-z]+)"\]\.id$/)?.[0];
  const buckets: Record<string, string> = {
    uploads: names.uploadsBucket,
    processed: names.processedBucket,
    artifacts: names.artifactsBucket,
  };
  if (bucketKey && buckets[bucketKey]) return buckets[bucketKey];
  if (inner === 'local.state_machine_arn') return names.stateMachineArn;
  // The GPU group no local function ever reaches (AVHUBERT_ENDPOINT wins), named as in AWS.
  if (inner === 'local.avhubert_group_name') return `${config.namePrefix}-avhubert`;
  const timeoutMinus = groups(/^tostring\(local\.lambda_functions\.([a-z0-9_-]+)\.timeout\s*-\s*(\d+)\)$/);
  const target = timeoutMinus && facts.functions[timeoutMinus[0] ?? ''];
  if (timeoutMinus && target) return String(target.timeoutSeconds - Number(timeoutMinus[1]));
  // Anything else (a role ARN, say) as Terraform would render it with the local names.
  if (context.module) {
    const value = context.module.evaluate(expression, `${fn.name} environment`);
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  }
  throw unresolvable(expression, fn);
}

const unresolvable = (expression: string, fn: FunctionFacts) =>
  new Error(
    `terraform/pipeline.tf gives ${fn.name} the value ${expression}, which the local stack cannot resolve; ` +
      'teach resolveExpression in scripts/local-stack/lambda/environment.ts that shape, or add a LOCAL_REPLACEMENTS entry.',
  );

/** The full environment one invocation of `functionName` runs with. */
export function functionEnvironment(
  functionName: string,
  context: EnvironmentContext,
  runtime: { taskRoot: string },
): Record<string, string> {
  const fn = context.facts.functions[functionName];
  if (!fn) {
    throw new Error(`terraform/pipeline.tf deploys no function "${functionName}" (local.lambda_functions).`);
  }
  const env: Record<string, string> = {};
  for (const [key, expression] of Object.entries(fn.environment)) {
    const replace = LOCAL_REPLACEMENTS[key];
    if (replace) Object.assign(env, replace(context));
    else env[key] = resolveExpression(expression, context, fn);
  }
  const qualifiedName = context.names.functionName(functionName);
  return {
    // What the Lambda runtime sets for every function.
    AWS_LAMBDA_FUNCTION_NAME: qualifiedName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${qualifiedName}`,
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    LAMBDA_TASK_ROOT: runtime.taskRoot,
    LAMBDA_RUNTIME_DIR: runtime.taskRoot,
    _HANDLER: 'index.handler',
    TZ: ':UTC',
    LANG: 'en_US.UTF-8',
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
    ...clientEnvironment(context.config.region, context.endpoints),
    ...(context.roleOf ? { AWS_SESSION_TOKEN: sessionTokenFor(context.roleOf(functionName)) } : {}),
    ...env,
    ...context.config.functionEnvironment?.[functionName],
  };
}
