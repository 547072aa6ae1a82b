import {
  AutoScalingClient,
  CreateOrUpdateTagsCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeScalingActivitiesCommand,
  SetDesiredCapacityCommand,
  type Activity,
} from '@aws-sdk/client-auto-scaling';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import type { GpuGroup, GpuGroupState } from '../ports';

/** Tag on the group (not its instances) holding when a job last needed the server. */
export const GPU_BUSY_TAG = 'gorggle:lipreading-busy-at';

let autoScaling: AutoScalingClient | undefined;
let ec2: EC2Client | undefined;

/** One client each per bundle; AWS_ENDPOINT_URL_AUTO_SCALING / _EC2 would point them elsewhere. */
export function autoScalingClient(): AutoScalingClient {
  return (autoScaling ??= new AutoScalingClient({}));
}

export function ec2Client(): EC2Client {
  return (ec2 ??= new EC2Client({}));
}

const GONE = /^(Terminat|Detach|Warmed)/;

const newestFirst = (activities: Activity[]) =>
  [...activities].sort((a, b) => (b.StartTime?.getTime() ?? 0) - (a.StartTime?.getTime() ?? 0));

/** The lip-reading server's Auto Scaling group (0 or 1 instance) and its instance. */
export class AutoScalingGpuGroup implements GpuGroup {
  constructor(
    private readonly clients: { autoScaling: AutoScalingClient; ec2: EC2Client },
    readonly name: string,
  ) {}

  async read(): Promise<GpuGroupState | undefined> {
    const { AutoScalingGroups = [] } = await this.clients.autoScaling.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [this.name] }),
    );
    const group = AutoScalingGroups.find((candidate) => candidate.AutoScalingGroupName === this.name);
    if (!group) return undefined;
    const busyTag = group.Tags?.find((tag) => tag.Key === GPU_BUSY_TAG)?.Value;
    const busyAt = busyTag ? new Date(busyTag) : undefined;
    return {
      name: this.name,
      desiredCapacity: group.DesiredCapacity ?? 0,
      instances: (group.Instances ?? []).flatMap((instance) =>
        instance.InstanceId && !GONE.test(instance.LifecycleState ?? '')
          ? [{ id: instance.InstanceId, lifecycleState: instance.LifecycleState ?? 'Pending' }]
          : [],
      ),
      lastBusyAt: busyAt && !Number.isNaN(busyAt.getTime()) ? busyAt : undefined,
    };
  }

  async markBusy(at: Date): Promise<void> {
    await this.clients.autoScaling.send(
      new CreateOrUpdateTagsCommand({
        Tags: [
          {
            ResourceId: this.name,
            ResourceType: 'auto-scaling-group',
            Key: GPU_BUSY_TAG,
            Value: at.toISOString(),
            PropagateAtLaunch: false,
          },
        ],
      }),
    );
  }

  async scaleTo(capacity: 0 | 1): Promise<void> {
    await this.clients.autoScaling.send(
      new SetDesiredCapacityCommand({
        AutoScalingGroupName: this.name,
        DesiredCapacity: capacity,
        HonorCooldown: false,
      }),
    );
  }

  private async activities(): Promise<Activity[]> {
    const { Activities = [] } = await this.clients.autoScaling.send(
      new DescribeScalingActivitiesCommand({ AutoScalingGroupName: this.name, MaxRecords: 10 }),
    );
    return newestFirst(Activities);
  }

  async launchFailure(): Promise<string | undefined> {
    const [latest] = await this.activities();
    if (!latest || (latest.StatusCode !== 'Failed' && latest.StatusCode !== 'Cancelled')) return undefined;
    return latest.StatusMessage || latest.Description || `scaling activity ${latest.ActivityId ?? ''} failed`;
  }

  async lastLaunchAt(): Promise<Date | undefined> {
    const launched = (await this.activities()).find(
      (activity) => activity.StatusCode === 'Successful' && /^Launching/i.test(activity.Description ?? ''),
    );
    return launched?.StartTime;
  }

  async describeInstance(id: string): Promise<{ state: string; privateIp?: string }> {
    try {
      const { Reservations = [] } = await this.clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
      const instance = Reservations.flatMap((reservation) => reservation.Instances ?? [])[0];
      return { state: instance?.State?.Name ?? 'unknown', privateIp: instance?.PrivateIpAddress };
    } catch (error) {
      // The group lists an instance a moment before EC2 knows it, and a moment after it is gone.
      if ((error as Error).name === 'InvalidInstanceID.NotFound') return { state: 'not yet known to EC2' };
      throw error;
    }
  }
}
