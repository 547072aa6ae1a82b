/**
 * `make destroy`: removes the stack and everything it made, after the user types its name.
 * 1. Lifts the protections (deletion_protection=false on the buckets, tables and user pool, so
 *    buckets are emptied of every object version) with a targeted apply.
 * 2. `terraform destroy` (the GPU group is force-deleted with its instance).
 * 3. Deletes log groups that a late function run wrote back, and terminates any instance still
 *    tagged with the stack; then says what, if anything, is left.
 */
import { CloudWatchLogsClient, DeleteLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeInstancesCommand, EC2Client, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { pathToFileURL } from 'node:url';
import { existingLogGroups } from './deploy';
import { realStackTools, runMain, variableArguments, type StackTools } from './stack-tools';

/** Resource types whose protections must be lifted before destroy can remove them. */
const PROTECTED_TYPES = ['aws_s3_bucket', 'aws_dynamodb_table', 'aws_cognito_user_pool'];

export interface DestroyClients {
  logs: CloudWatchLogsClient;
  ec2: EC2Client;
}

export interface DestroyOptions {
  variableArgs: readonly string[];
  autoApprove: boolean;
}

export interface DestroyReport {
  outcome: 'destroyed' | 'nothing' | 'cancelled';
  removedLogGroups: string[];
  terminatedInstances: string[];
}

async function stackInstances(ec2: EC2Client, stack: string): Promise<string[]> {
  const { Reservations = [] } = await ec2.send(
    new DescribeInstancesCommand({
      Filters: [
        { Name: 'tag:gorggle:stack', Values: [stack] },
        { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
      ],
    }),
  );
  return Reservations.flatMap((reservation) => reservation.Instances ?? []).flatMap((instance) =>
    instance.InstanceId ? [instance.InstanceId] : [],
  );
}

export async function destroy(
  tools: StackTools,
  clientsIn: (region: string) => DestroyClients,
  options: DestroyOptions,
): Promise<DestroyReport> {
  const vars = options.variableArgs;
  const report: DestroyReport = { outcome: 'nothing', removedLogGroups: [], terminatedInstances: [] };
  await tools.terraform(['init', '-input=false']);
  const addresses = (await tools.terraform(['state', 'list'], { capture: true })).split('\n').filter(Boolean);
  if (!addresses.length) {
    tools.print('Nothing is deployed from this checkout (the Terraform state is empty).');
    return report;
  }
  const outputs = JSON.parse(await tools.terraform(['output', '-json'], { capture: true })) as Record<
    string,
    { value: unknown }
  >;
  const stack = String(outputs.stack_name?.value ?? 'gorggle');
  const clients = clientsIn(String(outputs.region?.value ?? 'us-east-1'));
  const logGroups = (outputs.log_group_names?.value as string[] | undefined) ?? [];

  tools.print(
    `This removes the stack "${stack}" (${addresses.length} resources) with every upload, result, job row, ` +
      'bot contributor and user in it. It cannot be undone.',
  );
  const approved =
    options.autoApprove || (await tools.confirm(`Type the stack name (${stack}) to destroy it: `, stack));
  if (!approved) {
    tools.print('Nothing was destroyed.');
    return { ...report, outcome: 'cancelled' };
  }

  const protectedAddresses = addresses.filter((address) =>
    PROTECTED_TYPES.some((type) => address.startsWith(`${type}.`)),
  );
  const unprotect = ['-var', 'deletion_protection=false'];
  if (protectedAddresses.length) {
    tools.print('Lifting deletion protection (buckets are then emptied of every version on destroy).');
    await tools.terraform([
      'apply',
      '-input=false',
      '-auto-approve',
      ...unprotect,
      ...vars,
      ...protectedAddresses.map((address) => `-target=${address}`),
    ]);
  }
  await tools.terraform(['destroy', '-input=false', '-auto-approve', ...unprotect, ...vars]);

  // A function still running during the destroy can write its log group back.
  for (const name of await existingLogGroups(clients.logs, logGroups)) {
    await clients.logs.send(new DeleteLogGroupCommand({ logGroupName: name }));
    report.removedLogGroups.push(name);
  }
  const instances = await stackInstances(clients.ec2, stack);
  if (instances.length) {
    await clients.ec2.send(new TerminateInstancesCommand({ InstanceIds: instances }));
    report.terminatedInstances.push(...instances);
  }
  tools.print(
    `Destroyed "${stack}".` +
      (report.removedLogGroups.length
        ? ` Removed log groups written back meanwhile: ${report.removedLogGroups.join(', ')}.`
        : '') +
      (report.terminatedInstances.length
        ? ` Terminated instances left running: ${report.terminatedInstances.join(', ')}.`
        : ''),
  );
  return { ...report, outcome: 'destroyed' };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runMain(async () => {
    const report = await destroy(
      realStackTools(),
      (region) => ({ logs: new CloudWatchLogsClient({ region }), ec2: new EC2Client({ region }) }),
      {
        variableArgs: variableArguments(),
        autoApprove: ['1', 'true', 'yes'].includes((process.env.AUTO_APPROVE ?? '').toLowerCase()),
      },
    );
    if (report.outcome === 'cancelled') process.exitCode = 1;
  }, 'make destroy');
}
