/**
 * An execution's history in the shape of Step Functions' GetExecutionHistory: numbered
 * events with previousEventId, a timestamp, a type and one <type>EventDetails object.
 */

export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: Date;
  type: string;
  [details: string]: unknown;
}

/** AWS cuts data fields at 256 KiB and says so in *Details.truncated; local runs never need to. */
export const dataDetails = { truncated: false } as const;

/** lowerCamel of an event type + EventDetails, e.g. TaskStateEntered -> stateEnteredEventDetails. */
export function detailsKey(type: string): string {
  const stateEvent = /StateEntered$|StateExited$/.exec(type);
  if (stateEvent) return stateEvent[0] === 'StateEntered' ? 'stateEnteredEventDetails' : 'stateExitedEventDetails';
  return `${type.charAt(0).toLowerCase()}${type.slice(1)}EventDetails`;
}

export class ExecutionHistory {
  readonly events: HistoryEvent[] = [];
  /** How many times each state was entered or retried: the task handler waits for its turn. */
  private readonly entries = new Map<string, number>();
  private readonly entryWaiters = new Map<string, Array<{ count: number; resolve: () => void }>>();

  constructor(initial: HistoryEvent[] = []) {
    this.events.push(...initial);
  }

  add(type: string, details?: Record<string, unknown>): HistoryEvent {
    const previous = this.events.at(-1);
    const event: HistoryEvent = {
      timestamp: new Date(),
      type,
      id: (previous?.id ?? 0) + 1,
      previousEventId: previous?.id ?? 0,
    };
    if (details) event[detailsKey(type)] = details;
    this.events.push(event);
    return event;
  }

  noteEntry(stateName: string): void {
    const count = (this.entries.get(stateName) ?? 0) + 1;
    this.entries.set(stateName, count);
    const waiters = this.entryWaiters.get(stateName) ?? [];
    const ready = waiters.filter((waiter) => waiter.count <= count);
    this.entryWaiters.set(
      stateName,
      waiters.filter((waiter) => waiter.count > count),
    );
    for (const waiter of ready) waiter.resolve();
  }

  /**
   * Resolves once the state's n-th entry (StateEntered or StateRetried) is in the history,
   * so the Lambda events of that attempt follow it. Gives up after `maxWaitMs` rather than
   * stall a task.
   */
  waitForEntry(stateName: string, count: number, maxWaitMs = 2000): Promise<void> {
    if ((this.entries.get(stateName) ?? 0) >= count) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, maxWaitMs);
      const waiters = this.entryWaiters.get(stateName) ?? [];
      waiters.push({
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
      this.entryWaiters.set(stateName, waiters);
    });
  }
}
