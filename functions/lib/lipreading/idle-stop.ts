import type { Clock, GpuGroup } from '../ports';

export interface IdleStopOptions {
  /** Minutes without a lip-reading job after which the GPU instance goes. */
  idleMinutes: number;
  clock: Clock;
}

export type IdleStopDecision =
  | { action: 'none'; reason: string }
  | { action: 'kept'; reason: string; idleMinutes: number }
  | { action: 'stopped'; reason: string; idleMinutes: number | null };

const minutesBetween = (from: Date, to: Date) => Math.round(((to.getTime() - from.getTime()) / 60_000) * 10) / 10;

/**
 * Stops the lip-reading GPU when no job has needed it for idleMinutes, whatever the server
 * process on it is doing: crashed, hung or never installed, it is the absence of jobs that
 * counts. A job marks the group busy on each start and check (every poll interval), so a
 * job in flight always keeps it. Without a busy mark (scaled by hand) the last successful
 * launch counts instead; failed launch retries never do, so a launch loop is stopped too.
 */
export async function stopIdleGpu(group: GpuGroup, options: IdleStopOptions): Promise<IdleStopDecision> {
  const state = await group.read();
  if (!state) return { action: 'none', reason: `the group ${group.name} does not exist` };
  if (state.desiredCapacity === 0) return { action: 'none', reason: 'already scaled to zero' };

  const now = options.clock.now();
  const lastLaunchAt = await group.lastLaunchAt();
  const marks = [state.lastBusyAt, lastLaunchAt].filter((date): date is Date => date !== undefined);
  const lastNeeded = marks.length ? new Date(Math.max(...marks.map((date) => date.getTime()))) : undefined;
  const idleMinutes = lastNeeded ? minutesBetween(lastNeeded, now) : null;

  if (idleMinutes !== null && idleMinutes < options.idleMinutes) {
    return { action: 'kept', reason: `a job needed it ${idleMinutes} min ago`, idleMinutes };
  }
  await group.scaleTo(0);
  return {
    action: 'stopped',
    reason:
      idleMinutes === null
        ? 'no job has marked it busy and it never launched'
        : `no job has needed it for ${idleMinutes} min (limit ${options.idleMinutes})`,
    idleMinutes,
  };
}
