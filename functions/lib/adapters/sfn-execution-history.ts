import { GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import type { ExecutionHistoryReader, HistoryEvent } from '../api/ports';

let sfn: SFNClient | undefined;

/** The API's own client (AWS_ENDPOINT_URL_SFN reaches the local engine), kept apart from StartExecution. */
export function sfnHistoryClient(): SFNClient {
  return (sfn ??= new SFNClient({}));
}

/** The largest page GetExecutionHistory returns. */
const PAGE_SIZE = 1000;

export class SfnExecutionHistory implements ExecutionHistoryReader {
  constructor(private readonly sfn: SFNClient) {}

  async history(executionArn: string, maxEvents: number): Promise<{ events: HistoryEvent[]; truncated: boolean }> {
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.sfn.send(
        new GetExecutionHistoryCommand({
          executionArn,
          maxResults: Math.min(PAGE_SIZE, maxEvents - events.length),
          includeExecutionData: false,
          ...(nextToken ? { nextToken } : {}),
        }),
      );
      for (const event of page.events ?? []) {
        if (event.id === undefined || !event.timestamp || !event.type) continue;
        events.push({ ...event, id: event.id, timestamp: new Date(event.timestamp), type: event.type } as HistoryEvent);
      }
      nextToken = page.nextToken;
    } while (nextToken && events.length < maxEvents);
    return { events, truncated: Boolean(nextToken) };
  }
}
