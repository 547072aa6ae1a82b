import { DescribeInstancesCommand, EC2Client, StartInstancesCommand, type Instance } from '@aws-sdk/client-ec2';
import { ConfigurationError } from '../errors';
import type { LipReadingHost } from '../ports';

let client: EC2Client | undefined;

/** One client per bundle; AWS_ENDPOINT_URL_EC2 would point it elsewhere. */
export function ec2Client(): EC2Client {
  return (client ??= new EC2Client({}));
}

type HostState = Awaited<ReturnType<LipReadingHost['ensureRunning']>>;

/** Which instance to use when several carry the tag: the one closest to serving. */
const PREFERENCE = ['running', 'pending', 'stopping', 'stopped'] as const;

/** A start that raced another start, or no GPU capacity right now: both clear by waiting. */
const START_LATER_ERRORS = new Set(['IncorrectInstanceState', 'InsufficientInstanceCapacity']);

/** Parses `key=value` (the key may hold colons, e.g. gorggle:role=avhubert). */
export function parseInstanceTag(tag: string): { key: string; value: string } {
  const at = tag.indexOf('=');
  if (at <= 0 || at === tag.length - 1) {
    throw new ConfigurationError(
      `AVHUBERT_INSTANCE_TAG must look like key=value (e.g. gorggle:role=avhubert), not "${tag}".`,
    );
  }
  return { key: tag.slice(0, at), value: tag.slice(at + 1) };
}

/** Wakes the tagged GPU instance when a job needs it; it stops itself when idle. */
export class Ec2LipReadingHost implements LipReadingHost {
  private readonly tag: { key: string; value: string };

  constructor(
    private readonly ec2: EC2Client,
    private readonly options: { instanceTag: string; port: number },
  ) {
    this.tag = parseInstanceTag(options.instanceTag);
  }

  async ensureRunning(): Promise<HostState> {
    const instance = await this.findInstance();
    const id = instance.InstanceId ?? 'unknown';
    switch (instance.State?.Name) {
      case 'running':
        return instance.PrivateIpAddress
          ? { state: 'ready', endpoint: `http://${instance.PrivateIpAddress}:${this.options.port}` }
          : { state: 'warming', detail: `${id} is running but has no private address yet` };
      case 'stopped':
        return this.start(id);
      case 'stopping':
        return { state: 'warming', detail: `${id} is stopping; it is started again once stopped` };
      default:
        return { state: 'warming', detail: `${id} is ${instance.State?.Name ?? 'starting'}` };
    }
  }

  private async start(id: string): Promise<HostState> {
    try {
      await this.ec2.send(new StartInstancesCommand({ InstanceIds: [id] }));
      return { state: 'warming', detail: `${id} was stopped and is starting` };
    } catch (error) {
      const name = (error as Error).name;
      if (START_LATER_ERRORS.has(name)) return { state: 'warming', detail: `${id} cannot start yet (${name})` };
      throw error;
    }
  }

  private async findInstance(): Promise<Instance> {
    const { Reservations } = await this.ec2.send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: `tag:${this.tag.key}`, Values: [this.tag.value] },
          { Name: 'instance-state-name', Values: [...PREFERENCE] },
        ],
      }),
    );
    const instances = (Reservations ?? []).flatMap((reservation) => reservation.Instances ?? []);
    const rank = (instance: Instance) => {
      const index = PREFERENCE.indexOf(instance.State?.Name as (typeof PREFERENCE)[number]);
      return index < 0 ? PREFERENCE.length : index;
    };
    const [best] = instances.sort((a, b) => rank(a) - rank(b));
    if (!best) {
      throw new ConfigurationError(
        `No EC2 instance tagged ${this.options.instanceTag} exists. Apply terraform/avhubert.tf, or set AVHUBERT_ENDPOINT to a running lip-reading server.`,
      );
    }
    return best;
  }
}
