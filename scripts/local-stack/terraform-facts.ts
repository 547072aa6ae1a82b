/**
 * What the local stack copies from the Terraform module, read from terraform/*.tf with
 * @cdktf/hcl2json so the two cannot drift: each function's timeout, memory and
 * environment keys, the upload notification filters, and the DynamoDB tables.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from '@cdktf/hcl2json';

type Block = Record<string, unknown>;

interface ParsedModule {
  locals: Record<string, unknown>;
  variables: Record<string, Block>;
  resources: Record<string, Record<string, Block>>;
}

export interface FunctionFacts {
  name: string;
  timeoutSeconds: number;
  memoryMb: number;
  /** Key -> Terraform expression, e.g. JOBS_TABLE -> ${aws_dynamodb_table.jobs.name}. */
  environment: Record<string, string>;
}

export interface NotificationFilter {
  /** The queue configuration id Terraform gives it, e.g. start-pipeline-uploads-mp4. */
  id: string;
  prefix: string;
  suffix: string;
  /** S3 event types, e.g. s3:ObjectCreated:*. */
  events: string[];
}

export interface TableFacts {
  /** Terraform resource name, e.g. jobs. */
  resource: string;
  /** The name expression, e.g. ${var.name_prefix}-jobs (see resolveVariables). */
  nameTemplate: string;
  hashKey: string;
  rangeKey?: string;
  attributes: Array<{ name: string; type: 'S' | 'N' | 'B' }>;
  globalSecondaryIndexes: Array<{ name: string; hashKey: string; rangeKey?: string; projectionType: string }>;
}

export interface TerraformFacts {
  functions: Record<string, FunctionFacts>;
  /** Variable defaults (null when a variable has none). */
  variableDefaults: Record<string, unknown>;
  uploadFilters: NotificationFilter[];
  tables: TableFacts[];
  /** local.task_timeout_margin_seconds: a task outlives its function by this much. */
  taskTimeoutMarginSeconds: number;
}

const asRecord = (value: unknown): Record<string, unknown> =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

async function parseModule(dir: string): Promise<ParsedModule> {
  const module: ParsedModule = { locals: {}, variables: {}, resources: {} };
  for (const file of readdirSync(dir)
    .filter((name) => name.endsWith('.tf'))
    .sort()) {
    const parsed = asRecord(await parse(file, readFileSync(path.join(dir, file), 'utf8')));
    for (const locals of asArray(parsed.locals)) Object.assign(module.locals, asRecord(locals));
    for (const [name, blocks] of Object.entries(asRecord(parsed.variable))) {
      module.variables[name] = asRecord(asArray(blocks)[0]);
    }
    for (const [type, byName] of Object.entries(asRecord(parsed.resource))) {
      module.resources[type] ??= {};
      for (const [name, blocks] of Object.entries(asRecord(byName))) {
        module.resources[type][name] = asRecord(asArray(blocks)[0]);
      }
    }
  }
  return module;
}

/** Replaces ${var.x} with x's default; leaves other interpolations as they are. */
export function resolveVariables(expression: string, defaults: Record<string, unknown>): string {
  return expression.replace(/\$\{var\.([a-z0-9_]+)\}/g, (match, name: string) =>
    defaults[name] === undefined || defaults[name] === null ? match : String(defaults[name]),
  );
}

function requireNumber(value: unknown, what: string): number {
  if (typeof value !== 'number') throw new Error(`terraform: ${what} is not a literal number (got ${String(value)})`);
  return value;
}

export async function loadTerraformFacts(terraformDir: string): Promise<TerraformFacts> {
  const module = await parseModule(terraformDir);
  const variableDefaults = Object.fromEntries(
    Object.entries(module.variables).map(([name, block]) => [name, block.default ?? null]),
  );

  const specs = asRecord(module.locals.lambda_functions);
  const common = asRecord(module.locals.common_function_environment);
  const perFunction = asRecord(module.locals.function_environment);
  if (!Object.keys(specs).length) throw new Error(`terraform: no local.lambda_functions in ${terraformDir}`);
  const functions: Record<string, FunctionFacts> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const fields = asRecord(spec);
    functions[name] = {
      name,
      timeoutSeconds: requireNumber(fields.timeout, `lambda_functions.${name}.timeout`),
      memoryMb: requireNumber(fields.memory_size, `lambda_functions.${name}.memory_size`),
      environment: Object.fromEntries(
        Object.entries({ ...common, ...asRecord(perFunction[name]) }).map(([key, value]) => [key, String(value)]),
      ),
    };
  }

  return {
    functions,
    variableDefaults,
    uploadFilters: uploadFilters(module, variableDefaults),
    tables: tables(module),
    taskTimeoutMarginSeconds: requireNumber(
      module.locals.task_timeout_margin_seconds ?? 0,
      'task_timeout_margin_seconds',
    ),
  };
}

/**
 * storage.tf pairs every upload prefix with every allowed extension, in lower and upper
 * case (S3 suffix filters are case-sensitive); the ids follow its naming.
 */
function uploadFilters(module: ParsedModule, defaults: Record<string, unknown>): NotificationFilter[] {
  const prefixes = asArray(module.locals.upload_prefixes).map(String);
  const extensions = asArray(defaults.allowed_extensions).map(String);
  if (!prefixes.length || !extensions.length) {
    throw new Error('terraform: local.upload_prefixes or var.allowed_extensions has no literal values');
  }
  const suffixes = [...new Set(extensions.flatMap((ext) => [`.${ext.toLowerCase()}`, `.${ext.toUpperCase()}`]))];
  const notification = asRecord(module.resources.aws_s3_bucket_notification?.uploads);
  // hcl2json gives `dynamic` as an object of block types, each an array of blocks.
  const queue = asRecord(asArray(asRecord(notification.dynamic).queue)[0]);
  const events = asArray(asRecord(asArray(queue.content)[0]).events).map(String);
  return prefixes.flatMap((prefix) =>
    suffixes.map((suffix) => ({
      id: `start-pipeline-${prefix.replace(/\/$/, '')}-${suffix.replace(/^\./, '')}`,
      prefix,
      suffix,
      events: events.length ? events : ['s3:ObjectCreated:*'],
    })),
  );
}

function tables(module: ParsedModule): TableFacts[] {
  return Object.entries(module.resources.aws_dynamodb_table ?? {}).map(([resource, block]) => ({
    resource,
    nameTemplate: String(block.name),
    hashKey: String(block.hash_key),
    rangeKey: block.range_key === undefined ? undefined : String(block.range_key),
    attributes: asArray(block.attribute).map((attribute) => {
      const fields = asRecord(attribute);
      return { name: String(fields.name), type: String(fields.type) as 'S' | 'N' | 'B' };
    }),
    globalSecondaryIndexes: asArray(block.global_secondary_index).map((index) => {
      const fields = asRecord(index);
      return {
        name: String(fields.name),
        hashKey: String(fields.hash_key),
        rangeKey: fields.range_key === undefined ? undefined : String(fields.range_key),
        projectionType: String(fields.projection_type ?? 'ALL'),
      };
    }),
  }));
}
