/**
 * Runs requests against a role's rendered policies with @cloud-copilot/iam-simulate and
 * reports, in words, every request that is denied and every grant that no request uses.
 */
import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import type { IamPolicyDocument, RoleFacts } from '../../../scripts/terraform/module';
import type { CallKey, CallRequests, IamRequest } from './iam-requests';

interface Explain {
  identifier?: string;
  actions?: Array<{ action: string; matches: boolean }>;
  resources?: Array<{ resource: string; matches: boolean }>;
}

interface AllowStatement {
  policyId: string;
  explain: Explain;
}

interface Analysis {
  identityAnalysis?: { allowStatements?: AllowStatement[] };
}

type Response =
  | { resultType: 'error'; errors: unknown }
  | { resultType: 'single'; overallResult: string; result: { analysis?: Analysis } }
  | { resultType: 'wildcard'; overallResult: string; results: Array<{ analysis?: Analysis }> };

/** A statement's grants, with what the requests used of them. */
interface StatementUse {
  policy: string;
  label: string;
  actions: Map<string, boolean>;
  resources: Map<string, boolean>;
}

export interface SimulationOutcome {
  denied: string[];
  unused: string[];
  invalid: string[];
}

/**
 * Simulates every request with the role's inline policies as identity policies (the only
 * principal-side policies the module attaches besides managed ones, which are checked apart).
 */
export async function simulateRole(role: RoleFacts, requests: readonly IamRequest[]): Promise<SimulationOutcome> {
  const uses = new Map<string, StatementUse>();
  const identityPolicies = role.policies.map((policy, policyIndex) => {
    const name = `policy${policyIndex}`;
    const document: IamPolicyDocument = {
      ...policy.document,
      Statement: policy.document.Statement.map((statement, statementIndex) => {
        // A unique Sid ties the simulator's explain back to the statement.
        const sid = `P${policyIndex}S${statementIndex}`;
        uses.set(sid, {
          policy: policy.address,
          label: statement.Sid ?? `statement ${statementIndex + 1}`,
          actions: new Map((statement.Action ?? []).map((action) => [action, false])),
          resources: new Map((statement.Resource ?? []).map((resource) => [resource, false])),
        });
        return { ...statement, Sid: sid };
      }),
    };
    return { name, policy: document };
  });

  const outcome: SimulationOutcome = { denied: [], unused: [], invalid: [] };
  const principal = role.arn.replace(':role/', ':assumed-role/').concat('/simulation');
  const accountId = /:(\d{12}):/.exec(role.arn)?.[1] ?? '123456789012';

  for (const request of requests) {
    const simulation = {
      identityPolicies,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      request: {
        action: request.action,
        principal,
        resource: { accountId, resource: request.resource },
        contextVariables: request.context ?? {},
      },
    } as unknown as Simulation;
    const response = (await runSimulation(simulation, {})) as unknown as Response;
    const label = `${request.action} on ${request.resource}${request.context ? ` with ${JSON.stringify(request.context)}` : ''} (${request.why})`;
    if (response.resultType === 'error') {
      outcome.invalid.push(`${label}: the simulator refused the request: ${JSON.stringify(response.errors)}`);
      continue;
    }
    if (response.overallResult !== 'Allowed') {
      outcome.denied.push(`${label} is ${response.overallResult}`);
      continue;
    }
    const analyses =
      response.resultType === 'single' ? [response.result.analysis] : response.results.map((result) => result.analysis);
    for (const analysis of analyses) {
      for (const allow of analysis?.identityAnalysis?.allowStatements ?? []) {
        const use = allow.explain.identifier ? uses.get(allow.explain.identifier) : undefined;
        if (!use) continue;
        for (const action of allow.explain.actions ?? []) if (action.matches) use.actions.set(action.action, true);
        for (const resource of allow.explain.resources ?? [])
          if (resource.matches) use.resources.set(resource.resource, true);
      }
    }
  }

  for (const use of uses.values()) {
    for (const [action, used] of use.actions) {
      if (!used) outcome.unused.push(`${use.label} (${use.policy}) grants ${action}, which no request uses`);
    }
    for (const [resource, used] of use.resources) {
      if (!used) outcome.unused.push(`${use.label} (${use.policy}) grants on ${resource}, which no request reaches`);
    }
  }
  return outcome;
}

/**
 * The requests of a role's code: one entry per SDK command its bundle holds (from `calls`,
 * else `defaults`), and the entries that name a command the bundle does not hold.
 */
export function requestsOfCalls(
  present: ReadonlyMap<CallKey, readonly string[]>,
  calls: Partial<Record<CallKey, CallRequests>>,
  defaults: Partial<Record<CallKey, CallRequests>> = {},
): { requests: IamRequest[]; undescribed: string[]; stale: string[] } {
  const requests: IamRequest[] = [];
  const undescribed: string[] = [];
  for (const [key, files] of present) {
    const described = calls[key] ?? defaults[key];
    if (!described) {
      undescribed.push(
        `its code sends ${key} (${files.join(', ')}), but test/infra/support/iam-requests.ts does not say on which resources`,
      );
    } else if (Array.isArray(described)) {
      requests.push(...described);
    }
  }
  const stale = (Object.keys(calls) as CallKey[])
    .filter((key) => !present.has(key))
    .map((key) => `iam-requests.ts describes ${key}, which its code no longer sends`);
  return { requests, undescribed, stale };
}
