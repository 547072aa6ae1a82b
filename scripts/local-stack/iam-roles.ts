/**
 * The roles of terraform/, rendered for the local stack's names, so local services can answer
 * as AWS would for the role behind a request. Each local Lambda (and the lip-reading server)
 * carries its role's name in its session token; S3 reads it to decide what a request may see.
 */
import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { Lazy } from '../terraform/hcl-expression';
import { EvaluatedModule, type RoleFacts } from '../terraform/module';
import type { LocalStackConfig } from './config';

const TOKEN_PREFIX = 'gorggle-local-role:';

/** The session token a local process signs its requests with: it names the role it acts as. */
export const sessionTokenFor = (roleName: string) => `${TOKEN_PREFIX}${roleName}`;

export function roleOfSessionToken(token: string | undefined): string | undefined {
  return token?.startsWith(TOKEN_PREFIX) ? token.slice(TOKEN_PREFIX.length) : undefined;
}

/**
 * terraform/ evaluated with the local stack's names, account and region, and lip reading on,
 * so that every function the build makes (stop-idle-gpu included) has its role.
 */
export function loadLocalModule(
  config: Pick<LocalStackConfig, 'terraformDir' | 'namePrefix' | 'region' | 'accountId' | 'pollIntervalSeconds'>,
): Promise<EvaluatedModule> {
  return EvaluatedModule.load(config.terraformDir, {
    accountId: config.accountId,
    region: config.region,
    variables: {
      name_prefix: config.namePrefix,
      poll_interval_seconds: config.pollIntervalSeconds,
      enable_lipreading: true,
    },
  });
}

export class LocalRoles {
  private readonly roles: Map<string, RoleFacts>;
  private readonly decisions = new Map<string, Promise<boolean>>();

  constructor(private readonly module: EvaluatedModule) {
    this.roles = module.roles();
  }

  /** The role a function runs as (aws_lambda_function.this[fn].role). */
  roleOfFunction(fn: string): string {
    const lambda = (this.module.instances('resource', 'aws_lambda_function', 'this') as Record<string, Lazy>)[fn];
    const arn = lambda ? String(lambda.get('role')) : '';
    const role = [...this.roles.values()].find((candidate) => candidate.arn === arn);
    if (!role) throw new Error(`terraform/ gives ${fn} the role ${arn || '(none)'}, which it does not create`);
    return role.name;
  }

  /** The role of an aws_iam_role resource, e.g. avhubert. */
  roleOfResource(name: string): string | undefined {
    const instances = this.module.instances('resource', 'aws_iam_role', name);
    // A role made only with a feature on (count) is a list of one.
    const role = Array.isArray(instances) ? instances[0] : instances;
    return role instanceof Lazy ? String(role.get('name')) : undefined;
  }

  /** Whether the role's inline policies allow the request, as iam-simulate decides it. */
  allows(roleName: string, action: string, resource: string, context: Record<string, string> = {}): Promise<boolean> {
    const key = JSON.stringify([roleName, action, resource, context]);
    let decision = this.decisions.get(key);
    if (!decision) {
      decision = this.simulate(roleName, action, resource, context);
      this.decisions.set(key, decision);
    }
    return decision;
  }

  private async simulate(roleName: string, action: string, resource: string, context: Record<string, string>) {
    const role = this.roles.get(roleName);
    if (!role) return false;
    const simulation = {
      identityPolicies: role.policies.map((policy, index) => ({ name: `policy${index}`, policy: policy.document })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      request: {
        action,
        principal: role.arn.replace(':role/', ':assumed-role/').concat('/local'),
        resource: { accountId: this.module.accountId, resource },
        contextVariables: context,
      },
    } as unknown as Simulation;
    const response = (await runSimulation(simulation, {})) as { resultType: string; overallResult?: string };
    return response.resultType !== 'error' && response.overallResult === 'Allowed';
  }
}
