/**
 * A Terraform root module evaluated without Terraform: every *.tf file parsed with
 * @cdktf/hcl2json, variables from their defaults (or given inputs), locals, resources and
 * data sources as lazily computed instances, and the computed attributes AWS would fill in
 * (ARNs, ids, names) made up the way AWS forms them. IAM policy documents render to the
 * JSON the aws provider would produce, so tests can simulate them and the local stack can
 * enforce them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from '@cdktf/hcl2json';
import { HclError, Lazy, childScope, evaluateJson, isObject, toText, type Scope, type Value } from './hcl-expression';

type Block = Record<string, unknown>;

interface ParsedFile {
  resource?: Record<string, Record<string, Block[]>>;
  data?: Record<string, Record<string, Block[]>>;
  variable?: Record<string, Block[]>;
  locals?: Array<Record<string, unknown>>;
  output?: Record<string, Block[]>;
}

export interface IamStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string[];
  NotAction?: string[];
  Resource?: string[];
  NotResource?: string[];
  Principal?: '*' | Record<string, string[]>;
  NotPrincipal?: Record<string, string[]>;
  Condition?: Record<string, Record<string, string[]>>;
}

export interface IamPolicyDocument {
  Version: string;
  Statement: IamStatement[];
}

export interface RoleFacts {
  name: string;
  arn: string;
  trust: IamPolicyDocument;
  /** Inline policies (aws_iam_role_policy), by the Terraform address that attaches them. */
  policies: Array<{ address: string; document: IamPolicyDocument }>;
  /** AWS-managed or customer policy ARNs (aws_iam_role_policy_attachment). */
  managedPolicyArns: string[];
}

export interface ModuleInputs {
  /** Values for variables, over their defaults; required variables without a default need one here. */
  variables?: Record<string, Value>;
  accountId?: string;
  region?: string;
}

export const SAMPLE_ACCOUNT_ID = '123456789012';

const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]);
const asRecord = (value: unknown): Record<string, unknown> =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

/** Nested blocks Terraform knows by name (hcl2json gives them as arrays of objects, like list attributes). */
const META_ARGUMENTS = new Set(['for_each', 'count', 'depends_on', 'lifecycle', 'provider', 'dynamic']);

export class EvaluatedModule {
  private readonly resources = new Map<string, Map<string, Block>>();
  private readonly dataSources = new Map<string, Map<string, Block>>();
  private readonly variableBlocks = new Map<string, Block>();
  private readonly localExpressions = new Map<string, unknown>();
  private readonly localValues = new Map<string, Value>();
  private readonly localsInProgress = new Set<string>();
  private readonly instanceCache = new Map<string, Value>();
  readonly accountId: string;
  readonly region: string;

  private constructor(
    readonly dir: string,
    files: ParsedFile[],
    private readonly inputs: ModuleInputs,
  ) {
    for (const file of files) {
      for (const [type, byName] of Object.entries(file.resource ?? {})) {
        const map = this.resources.get(type) ?? new Map<string, Block>();
        for (const [name, blocks] of Object.entries(byName)) if (blocks[0]) map.set(name, blocks[0]);
        this.resources.set(type, map);
      }
      for (const [type, byName] of Object.entries(file.data ?? {})) {
        const map = this.dataSources.get(type) ?? new Map<string, Block>();
        for (const [name, blocks] of Object.entries(byName)) if (blocks[0]) map.set(name, blocks[0]);
        this.dataSources.set(type, map);
      }
      for (const [name, blocks] of Object.entries(file.variable ?? {}))
        if (blocks[0]) this.variableBlocks.set(name, blocks[0]);
      for (const locals of file.locals ?? []) {
        for (const [name, expression] of Object.entries(locals)) this.localExpressions.set(name, expression);
      }
    }
    this.accountId = inputs.accountId ?? SAMPLE_ACCOUNT_ID;
    this.region =
      inputs.region ?? String(inputs.variables?.region ?? this.variableBlocks.get('region')?.default ?? 'us-east-1');
  }

  static async load(dir: string, inputs: ModuleInputs = {}): Promise<EvaluatedModule> {
    const files = readdirSync(dir)
      .filter((file) => file.endsWith('.tf'))
      .sort();
    const parsed = await Promise.all(
      files.map(async (file) => (await parse(file, readFileSync(path.join(dir, file), 'utf8'))) as ParsedFile),
    );
    return new EvaluatedModule(dir, parsed, {
      ...inputs,
      variables: {
        ...(inputs.region ? { region: inputs.region } : {}),
        ...inputs.variables,
      },
    });
  }

  // --- scope -------------------------------------------------------------------------------------

  readonly scope: Scope = {
    lookup: (name) => {
      switch (name) {
        case 'var':
          return new Lazy('var', (variable) => this.variable(variable));
        case 'local':
          return new Lazy('local', (local) => this.local(local));
        case 'data':
          return new Lazy(
            'data',
            (type) => new Lazy(`data.${type}`, (dataName) => this.instances('data', type, dataName)),
          );
        case 'path':
          return { module: this.dir, root: this.dir, cwd: process.cwd() } as Value;
        case 'terraform':
          return { workspace: 'default' } as Value;
        default:
          if (this.resources.has(name))
            return new Lazy(name, (resourceName) => this.instances('resource', name, resourceName));
          throw new HclError(`unknown reference "${name}"`);
      }
    },
  };

  variable(name: string): Value {
    const inputs = this.inputs.variables ?? {};
    if (name in inputs) return inputs[name] ?? null;
    const block = this.variableBlocks.get(name);
    if (!block) throw new HclError(`var.${name} is not declared`);
    if (!('default' in block)) throw new HclError(`var.${name} has no default; pass it in ModuleInputs.variables`);
    return (block.default ?? null) as Value;
  }

  local(name: string): Value {
    const known = this.localValues.get(name);
    if (known !== undefined) return known;
    if (!this.localExpressions.has(name)) throw new HclError(`local.${name} is not defined`);
    if (this.localsInProgress.has(name)) throw new HclError(`local.${name} refers to itself`);
    this.localsInProgress.add(name);
    try {
      const value = this.evaluate(this.localExpressions.get(name), `local.${name}`);
      this.localValues.set(name, value);
      return value;
    } finally {
      this.localsInProgress.delete(name);
    }
  }

  /** Evaluates an hcl2json value in the module's scope; errors name where it came from. */
  evaluate(value: unknown, where: string, scope: Scope = this.scope): Value {
    try {
      return evaluateJson(value, scope);
    } catch (error) {
      if (error instanceof HclError && !error.message.startsWith('in ')) {
        throw new HclError(`in ${where}: ${error.message}`, { cause: error });
      }
      throw error;
    }
  }

  /** Addresses of every resource (or data source) of a type, e.g. aws_iam_role_policy → [function, state_machine]. */
  names(mode: 'resource' | 'data', type: string): string[] {
    return [...((mode === 'resource' ? this.resources : this.dataSources).get(type)?.keys() ?? [])];
  }

  block(mode: 'resource' | 'data', type: string, name: string): Block | undefined {
    return (mode === 'resource' ? this.resources : this.dataSources).get(type)?.get(name);
  }

  /** A resource or data source's value: one instance, a map (for_each) or a list (count). */
  instances(mode: 'resource' | 'data', type: string, name: string): Value {
    const address = `${mode === 'data' ? 'data.' : ''}${type}.${name}`;
    const cached = this.instanceCache.get(address);
    if (cached !== undefined) return cached;
    const block = this.block(mode, type, name);
    if (!block) throw new HclError(`${address} is not declared`);
    let value: Value;
    if (block.for_each !== undefined) {
      const forEach = this.evaluate(block.for_each, `${address}.for_each`);
      const keyed: Array<[string, Value]> = Array.isArray(forEach)
        ? forEach.map((item) => [toText(item), item])
        : Object.entries(isObject(forEach) ? forEach : {});
      value = Object.fromEntries(
        keyed.map(([key, item]) => [
          key,
          this.instance(mode, type, name, block, { each: { key, value: item } }, `[${JSON.stringify(key)}]`),
        ]),
      );
    } else if (block.count !== undefined) {
      const count = Number(this.evaluate(block.count, `${address}.count`));
      value = Array.from({ length: count }, (_, index) =>
        this.instance(mode, type, name, block, { count: { index } }, `[${index}]`),
      );
    } else {
      value = this.instance(mode, type, name, block, {}, '');
    }
    this.instanceCache.set(address, value);
    return value;
  }

  private instance(
    mode: 'resource' | 'data',
    type: string,
    name: string,
    block: Block,
    bindings: Record<string, Value>,
    key: string,
  ): Lazy {
    const address = `${mode === 'data' ? 'data.' : ''}${type}.${name}${key}`;
    const scope = childScope(this.scope, bindings);
    const argument = (attribute: string): Value | undefined =>
      attribute in block && !META_ARGUMENTS.has(attribute)
        ? this.evaluate(block[attribute], `${address}.${attribute}`, scope)
        : undefined;
    const values = new Map<string, Value>();
    return new Lazy(address, (attribute) => {
      const known = values.get(attribute);
      if (known !== undefined) return known;
      const given = argument(attribute);
      const value =
        given !== undefined
          ? given
          : mode === 'data'
            ? this.dataAttribute(type, block, scope, address, attribute, argument)
            : computedAttribute(type, address, attribute, argument, this);
      values.set(attribute, value);
      return value;
    });
  }

  private dataAttribute(
    type: string,
    block: Block,
    scope: Scope,
    address: string,
    attribute: string,
    argument: (name: string) => Value | undefined,
  ): Value {
    switch (type) {
      case 'aws_caller_identity':
        return (
          {
            account_id: this.accountId,
            arn: `arn:aws:iam::${this.accountId}:root`,
            user_id: this.accountId,
            id: this.accountId,
          }[attribute] ?? placeholder(address, attribute)
        );
      case 'aws_partition':
        return (
          { partition: 'aws', dns_suffix: 'amazonaws.com', id: 'aws' }[attribute] ?? placeholder(address, attribute)
        );
      case 'aws_region':
        return ['name', 'region', 'id'].includes(attribute) ? this.region : placeholder(address, attribute);
      case 'aws_iam_policy_document':
        if (attribute === 'json' || attribute === 'minified_json')
          return JSON.stringify(this.renderPolicyDocument(block, scope, address));
        return placeholder(address, attribute);
      case 'aws_ami':
        return (
          { root_device_name: '/dev/sda1', id: 'ami-0123456789abcdef0', image_id: 'ami-0123456789abcdef0' }[
            attribute
          ] ?? placeholder(address, attribute)
        );
      case 'aws_ssm_parameter':
        return ['value', 'insecure_value'].includes(attribute)
          ? 'ami-0123456789abcdef0'
          : placeholder(address, attribute);
      default:
        return computedAttribute(type, address, attribute, argument, this);
    }
  }

  // --- IAM -----------------------------------------------------------------------------------------

  /** data.aws_iam_policy_document.<name> as the provider renders it (JSON structure). */
  renderPolicyDocument(block: Block, scope: Scope, address: string): IamPolicyDocument {
    const statements: IamStatement[] = [];
    for (const source of asArray(
      this.evaluate(block.source_policy_documents ?? [], `${address}.source_policy_documents`, scope),
    )) {
      statements.push(...(JSON.parse(String(source)) as IamPolicyDocument).Statement);
    }
    for (const statement of asArray(block.statement))
      statements.push(this.renderStatement(asRecord(statement), scope, address));
    for (const dynamic of asArray(asRecord(block.dynamic).statement)) {
      const spec = asRecord(dynamic);
      const iterator = typeof spec.iterator === 'string' ? spec.iterator : 'statement';
      const forEach = this.evaluate(spec.for_each, `${address}.dynamic.statement.for_each`, scope);
      const items: Array<[Value, Value]> = Array.isArray(forEach)
        ? forEach.map((item, index) => [index, item])
        : Object.entries(isObject(forEach) ? forEach : {});
      for (const [key, value] of items) {
        const inner = childScope(scope, { [iterator]: { key, value } });
        for (const content of asArray(spec.content))
          statements.push(this.renderStatement(asRecord(content), inner, address));
      }
    }
    for (const override of asArray(
      this.evaluate(block.override_policy_documents ?? [], `${address}.override_policy_documents`, scope),
    )) {
      for (const statement of (JSON.parse(String(override)) as IamPolicyDocument).Statement) {
        const index = statement.Sid ? statements.findIndex((existing) => existing.Sid === statement.Sid) : -1;
        if (index >= 0) statements[index] = statement;
        else statements.push(statement);
      }
    }
    return { Version: String(block.version ?? '2012-10-17'), Statement: statements };
  }

  private renderStatement(statement: Record<string, unknown>, scope: Scope, address: string): IamStatement {
    const where = `${address} statement ${String(statement.sid ?? '')}`.trim();
    const strings = (key: string) => {
      if (statement[key] === undefined) return undefined;
      const value = this.evaluate(statement[key], `${where}.${key}`, scope);
      return (Array.isArray(value) ? value.flat(3) : [value]).map((item) => toText(item as Value));
    };
    const principals = (key: string) => {
      const blocks = asArray(statement[key]);
      if (!blocks.length) return undefined;
      const grouped: Record<string, string[]> = {};
      for (const principal of blocks) {
        const fields = asRecord(principal);
        const type = toText(this.evaluate(fields.type, `${where}.${key}.type`, scope));
        const identifiers = asArray(this.evaluate(fields.identifiers, `${where}.${key}.identifiers`, scope)).map(
          (item) => toText(item as Value),
        );
        (grouped[type] ??= []).push(...identifiers);
      }
      return grouped;
    };
    const conditionBlocks = [
      ...asArray(statement.condition).map((condition) => ({ condition: asRecord(condition), scope })),
      ...asArray(asRecord(statement.dynamic).condition).flatMap((dynamic) => {
        const spec = asRecord(dynamic);
        const iterator = typeof spec.iterator === 'string' ? spec.iterator : 'condition';
        const forEach = this.evaluate(spec.for_each, `${where}.dynamic.condition.for_each`, scope);
        const items: Array<[Value, Value]> = Array.isArray(forEach)
          ? forEach.map((item, index) => [index, item])
          : Object.entries(isObject(forEach) ? forEach : {});
        return items.flatMap(([key, value]) =>
          asArray(spec.content).map((content) => ({
            condition: asRecord(content),
            scope: childScope(scope, { [iterator]: { key, value } }),
          })),
        );
      }),
    ];
    const conditions: Record<string, Record<string, string[]>> = {};
    for (const { condition, scope: conditionScope } of conditionBlocks) {
      const test = toText(this.evaluate(condition.test, `${where}.condition.test`, conditionScope));
      const variable = toText(this.evaluate(condition.variable, `${where}.condition.variable`, conditionScope));
      const values = asArray(this.evaluate(condition.values, `${where}.condition.values`, conditionScope)).map((item) =>
        toText(item as Value),
      );
      ((conditions[test] ??= {})[variable] ??= []).push(...values);
    }
    const principal = principals('principals');
    const rendered: IamStatement = {
      ...(statement.sid !== undefined ? { Sid: toText(this.evaluate(statement.sid, `${where}.sid`, scope)) } : {}),
      Effect:
        statement.effect === undefined
          ? 'Allow'
          : (toText(this.evaluate(statement.effect, `${where}.effect`, scope)) as 'Allow' | 'Deny'),
    };
    const action = strings('actions');
    const notAction = strings('not_actions');
    const resource = strings('resources');
    const notResource = strings('not_resources');
    const notPrincipal = principals('not_principals');
    if (action) rendered.Action = action;
    if (notAction) rendered.NotAction = notAction;
    if (resource) rendered.Resource = resource;
    if (notResource) rendered.NotResource = notResource;
    if (principal)
      rendered.Principal = principal['*']?.includes('*') && Object.keys(principal).length === 1 ? '*' : principal;
    if (notPrincipal) rendered.NotPrincipal = notPrincipal;
    if (Object.keys(conditions).length) rendered.Condition = conditions;
    return rendered;
  }

  /** Every IAM role the module creates, with the inline and managed policies attached to it. */
  roles(): Map<string, RoleFacts> {
    const roles = new Map<string, RoleFacts>();
    const instancesOf = (type: string, name: string): Array<[string, Lazy]> => {
      const value = this.instances('resource', type, name);
      if (value instanceof Lazy) return [[`${type}.${name}`, value]];
      if (Array.isArray(value)) return value.map((item, index) => [`${type}.${name}[${index}]`, item as Lazy]);
      return Object.entries(asRecord(value)).map(([key, item]) => [
        `${type}.${name}[${JSON.stringify(key)}]`,
        item as Lazy,
      ]);
    };
    for (const name of this.names('resource', 'aws_iam_role')) {
      for (const [, role] of instancesOf('aws_iam_role', name)) {
        const roleName = toText(role.get('name'));
        roles.set(roleName, {
          name: roleName,
          arn: toText(role.get('arn')),
          trust: JSON.parse(toText(role.get('assume_role_policy'))) as IamPolicyDocument,
          policies: [],
          managedPolicyArns: [],
        });
      }
    }
    const roleOf = (reference: Value, address: string) => {
      const text = toText(reference);
      const role = roles.get(text) ?? [...roles.values()].find((candidate) => candidate.arn === text);
      if (!role) throw new HclError(`${address} attaches to ${text}, which is no role of this module`);
      return role;
    };
    for (const name of this.names('resource', 'aws_iam_role_policy')) {
      for (const [address, attachment] of instancesOf('aws_iam_role_policy', name)) {
        roleOf(attachment.get('role'), address).policies.push({
          address,
          document: JSON.parse(toText(attachment.get('policy'))) as IamPolicyDocument,
        });
      }
    }
    for (const name of this.names('resource', 'aws_iam_role_policy_attachment')) {
      for (const [address, attachment] of instancesOf('aws_iam_role_policy_attachment', name)) {
        roleOf(attachment.get('role'), address).managedPolicyArns.push(toText(attachment.get('policy_arn')));
      }
    }
    return roles;
  }
}

function placeholder(address: string, attribute: string): string {
  return `${address}.${attribute}`;
}

/** Attributes AWS computes, formed as AWS forms them, from the resource's own arguments. */
function computedAttribute(
  type: string,
  address: string,
  attribute: string,
  argument: (name: string) => Value | undefined,
  module: EvaluatedModule,
): Value {
  const { region, accountId: account } = module;
  const text = (name: string) => {
    const value = argument(name);
    return value === undefined || value === null ? undefined : toText(value);
  };
  const named = text('name') ?? address;
  const shortId = address
    .replace(/[^a-z0-9]/gi, '')
    .slice(-17)
    .toLowerCase();
  const table: Record<string, () => Record<string, Value>> = {
    aws_s3_bucket: () => {
      const bucket = text('bucket') ?? shortId;
      return {
        id: bucket,
        bucket,
        arn: `arn:aws:s3:::${bucket}`,
        bucket_domain_name: `${bucket}.s3.amazonaws.com`,
        bucket_regional_domain_name: `${bucket}.s3.${region}.amazonaws.com`,
      };
    },
    aws_dynamodb_table: () => ({
      id: named,
      name: named,
      arn: `arn:aws:dynamodb:${region}:${account}:table/${named}`,
    }),
    aws_sqs_queue: () => ({
      name: named,
      arn: `arn:aws:sqs:${region}:${account}:${named}`,
      id: `https://sqs.${region}.amazonaws.com/${account}/${named}`,
      url: `https://sqs.${region}.amazonaws.com/${account}/${named}`,
    }),
    aws_lambda_function: () => {
      const name = text('function_name') ?? address;
      const arn = `arn:aws:lambda:${region}:${account}:function:${name}`;
      return {
        id: name,
        function_name: name,
        arn,
        qualified_arn: `${arn}:$LATEST`,
        invoke_arn: `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/${arn}/invocations`,
      };
    },
    aws_cloudwatch_log_group: () => ({
      id: named,
      name: named,
      arn: `arn:aws:logs:${region}:${account}:log-group:${named}`,
    }),
    aws_iam_role: () => ({
      id: named,
      name: named,
      arn: `arn:aws:iam::${account}:role${text('path') ?? '/'}${named}`,
      unique_id: `AROA${shortId.toUpperCase()}`,
    }),
    aws_iam_instance_profile: () => ({
      id: named,
      name: named,
      arn: `arn:aws:iam::${account}:instance-profile/${named}`,
    }),
    aws_sfn_state_machine: () => ({
      id: `arn:aws:states:${region}:${account}:stateMachine:${named}`,
      name: named,
      arn: `arn:aws:states:${region}:${account}:stateMachine:${named}`,
    }),
    aws_sns_topic: () => ({
      id: `arn:aws:sns:${region}:${account}:${named}`,
      name: named,
      arn: `arn:aws:sns:${region}:${account}:${named}`,
    }),
    aws_ssm_parameter: () => ({
      id: named,
      name: named,
      arn: `arn:aws:ssm:${region}:${account}:parameter${named.startsWith('/') ? '' : '/'}${named}`,
    }),
    aws_cloudwatch_event_rule: () => ({
      id: named,
      name: named,
      arn: `arn:aws:events:${region}:${account}:rule/${named}`,
    }),
    aws_cognito_user_pool: () => {
      const id = `${region}_${shortId.slice(-9)}`;
      return {
        id,
        arn: `arn:aws:cognito-idp:${region}:${account}:userpool/${id}`,
        endpoint: `cognito-idp.${region}.amazonaws.com/${id}`,
      };
    },
    aws_apigatewayv2_api: () => {
      const id = shortId.slice(-10);
      return {
        id,
        api_endpoint: `https://${id}.execute-api.${region}.amazonaws.com`,
        execution_arn: `arn:aws:execute-api:${region}:${account}:${id}`,
        arn: `arn:aws:apigateway:${region}::/apis/${id}`,
      };
    },
    aws_cloudfront_distribution: () => ({
      id: 'E2EXAMPLE',
      domain_name: 'd111111abcdef8.cloudfront.net',
      arn: `arn:aws:cloudfront::${account}:distribution/E2EXAMPLE`,
      hosted_zone_id: 'Z2FDTNDATAQYW2',
    }),
    aws_kms_key: () => ({ id: shortId, key_id: shortId, arn: `arn:aws:kms:${region}:${account}:key/${shortId}` }),
    aws_security_group: () => ({
      id: `sg-0${shortId.slice(-16)}`,
      arn: `arn:aws:ec2:${region}:${account}:security-group/sg-0${shortId.slice(-16)}`,
    }),
    aws_launch_template: () => ({
      id: `lt-0${shortId.slice(-16)}`,
      latest_version: 1,
      default_version: 1,
      arn: `arn:aws:ec2:${region}:${account}:launch-template/lt-0${shortId.slice(-16)}`,
    }),
    aws_s3_object: () => ({ id: text('key') ?? shortId, version_id: 'version-1', etag: 'etag-1' }),
  };
  const known = table[type]?.();
  if (known && attribute in known) return known[attribute] ?? null;
  if (attribute === 'name' && named !== undefined) return named;
  if (attribute === 'id') return named ?? placeholder(address, attribute);
  if (attribute === 'arn') {
    const service = type.replace(/^aws_/, '').split('_')[0];
    return `arn:aws:${service}:${region}:${account}:${type.replace(/^aws_/, '')}/${named ?? shortId}`;
  }
  return placeholder(address, attribute);
}
