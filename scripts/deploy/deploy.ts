/**
 * `make deploy`: one command from a checkout to a running stack. `make build` has run (the
 * Makefile sees to it); this builds the lip-reading bundle when the settings turn lip reading
 * on, plans, adopts log groups an earlier destroy left behind (a late function run can write
 * one back), shows the plan, and applies it after the user types "yes".
 *
 * Settings: terraform/terraform.tfvars (see terraform.tfvars.example), or TF_ARGS.
 * AUTO_APPROVE=1 applies without asking (CI); without a terminal it never applies unasked.
 */
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { pathToFileURL } from 'node:url';
import { PLAN_FILE, realStackTools, runMain, variableArguments, type StackTools } from './stack-tools';

interface PlannedChange {
  address: string;
  type: string;
  change: { actions: string[]; after?: Record<string, unknown> | null };
}

export interface PlanSummary {
  changes: PlannedChange[];
  /** True when the plan would change nothing. */
  empty: boolean;
}

/** The resource changes of `terraform show -json <plan>`, less no-ops. */
export function readPlan(json: string): PlanSummary {
  const plan = JSON.parse(json) as { resource_changes?: PlannedChange[] };
  const changes = (plan.resource_changes ?? []).filter(
    (change) => !(change.change.actions.length === 1 && ['no-op', 'read'].includes(change.change.actions[0] ?? '')),
  );
  return { changes, empty: changes.length === 0 };
}

/** Log groups the plan would create (not replace): an earlier stack may have left them. */
export function logGroupsToCreate(plan: PlanSummary): Array<{ address: string; name: string }> {
  return plan.changes.flatMap((change) =>
    change.type === 'aws_cloudwatch_log_group' &&
    change.change.actions.join() === 'create' &&
    typeof change.change.after?.name === 'string'
      ? [{ address: change.address, name: change.change.after.name }]
      : [],
  );
}

/** Which of `names` exist as log groups. */
export async function existingLogGroups(logs: CloudWatchLogsClient, names: readonly string[]): Promise<Set<string>> {
  const existing = new Set<string>();
  for (const name of names) {
    const { logGroups = [] } = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name, limit: 5 }));
    if (logGroups.some((group) => group.logGroupName === name)) existing.add(name);
  }
  return existing;
}

export interface DeployOptions {
  /** Extra Terraform arguments (-var, -var-file) for console, plan and import. */
  variableArgs: readonly string[];
  autoApprove: boolean;
}

export type DeployOutcome = 'applied' | 'unchanged' | 'cancelled';

const OUTPUTS_TO_SHOW = ['web_url', 'api_url', 'uploads_bucket_name', 'lipreading_enabled', 'cost_idle_usd_per_month'];

/** Values of variables as `terraform console` prints them (strings quoted), with the user's settings. */
async function settings(tools: StackTools, vars: readonly string[], names: readonly string[]): Promise<string[]> {
  const printed = await tools.terraform(['console', ...vars], {
    capture: true,
    input: names.map((name) => `var.${name}\n`).join(''),
  });
  return printed
    .split('\n')
    .filter(Boolean)
    .map((line) => line.trim().replace(/^"(.*)"$/, '$1'));
}

export async function deploy(
  tools: StackTools,
  logsIn: (region: string) => CloudWatchLogsClient,
  options: DeployOptions,
): Promise<DeployOutcome> {
  const vars = options.variableArgs;
  await tools.terraform(['init', '-input=false']);

  const [lipReading, region = 'us-east-1'] = await settings(tools, vars, ['enable_lipreading', 'region']);
  const logs = logsIn(region);
  if (lipReading === 'true') {
    tools.print('Lip reading is on: building the GPU server bundle (make avhubert-bundle).');
    await tools.make('avhubert-bundle');
  }

  const plan = async () => {
    await tools.terraform(['plan', '-input=false', `-out=${PLAN_FILE}`, ...vars], { capture: true });
    return readPlan(await tools.terraform(['show', '-json', PLAN_FILE], { capture: true }));
  };
  let planned = await plan();

  // M7: a log group that outlived an earlier destroy would fail the apply with "already exists".
  const wanted = logGroupsToCreate(planned);
  const orphans = await existingLogGroups(
    logs,
    wanted.map((group) => group.name),
  );
  if (orphans.size) {
    for (const group of wanted.filter((candidate) => orphans.has(candidate.name))) {
      tools.print(`Adopting the log group ${group.name}: it outlived an earlier destroy.`);
      await tools.terraform(['import', '-input=false', ...vars, group.address, group.name]);
    }
    planned = await plan();
  }

  if (planned.empty) {
    tools.print('The stack is up to date: nothing to apply.');
    return 'unchanged';
  }
  await tools.terraform(['show', PLAN_FILE]);
  const approved =
    options.autoApprove ||
    (await tools.confirm(`\nApply these ${planned.changes.length} changes? Only "yes" applies them: `, 'yes'));
  if (!approved) {
    tools.print('Not applied. (Without a terminal, AUTO_APPROVE=1 applies without asking.)');
    return 'cancelled';
  }
  await tools.terraform(['apply', '-input=false', PLAN_FILE]);

  const outputs = JSON.parse(await tools.terraform(['output', '-json'], { capture: true })) as Record<
    string,
    { value: unknown }
  >;
  tools.print('\nDeployed:');
  for (const name of OUTPUTS_TO_SHOW) {
    if (outputs[name]) tools.print(`  ${name} = ${JSON.stringify(outputs[name].value)}`);
  }
  if (outputs.lipreading_enabled?.value === true) {
    tools.print('Lip reading needs a model package: make model-upload MODEL_DIR=<folder with manifest.json>');
  }
  return 'applied';
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runMain(async () => {
    const outcome = await deploy(realStackTools(), (region) => new CloudWatchLogsClient({ region }), {
      variableArgs: variableArguments(),
      autoApprove: ['1', 'true', 'yes'].includes((process.env.AUTO_APPROVE ?? '').toLowerCase()),
    });
    if (outcome === 'cancelled') process.exitCode = 1;
  }, 'make deploy');
}
