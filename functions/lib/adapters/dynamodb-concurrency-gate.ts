import { GetItemCommand, PutItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { Clock, ConcurrencyGate } from '../ports';
import { systemClock } from '../ports';
import { isConditionFailure } from './dynamodb-job-repository';

export interface GateOptions {
  /** The item's key in the leases table, e.g. rekognition-video. */
  gate: string;
  slots: number;
  leaseSeconds: number;
  clock?: Clock;
}

interface GateItem {
  gate: string;
  /** holder → lease end, epoch milliseconds. */
  holders: Record<string, number>;
  version: number;
  /** TTL (epoch seconds): an idle gate's row goes away by itself. */
  expiresAt: number;
}

/** Optimistic writes that lose to another holder are tried again this often before giving up for this poll. */
const MAX_CONTENDED_TRIES = 5;

/**
 * One DynamoDB item per gate holds the current leases. A holder takes a slot with a read and
 * a put conditioned on the version it read, so two jobs can never both take the last slot;
 * leases that ran out no longer count.
 */
export class DynamoDbConcurrencyGate implements ConcurrencyGate {
  private readonly clock: Clock;

  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly tableName: string,
    private readonly options: GateOptions,
  ) {
    this.clock = options.clock ?? systemClock;
  }

  acquire(holder: string): Promise<boolean> {
    return this.take(holder, true);
  }

  async renew(holder: string): Promise<void> {
    await this.take(holder, false);
  }

  async release(holder: string): Promise<void> {
    try {
      await this.dynamodb.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall({ gate: this.options.gate }),
          UpdateExpression: 'REMOVE holders.#holder SET version = version + :one',
          ConditionExpression: 'attribute_exists(holders.#holder)',
          ExpressionAttributeNames: { '#holder': holder },
          ExpressionAttributeValues: marshall({ ':one': 1 }),
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  private async take(holder: string, withinSlots: boolean): Promise<boolean> {
    for (let attempt = 0; attempt < MAX_CONTENDED_TRIES; attempt++) {
      const now = this.clock.now().getTime();
      const { Item } = await this.dynamodb.send(
        new GetItemCommand({
          TableName: this.tableName,
          Key: marshall({ gate: this.options.gate }),
          ConsistentRead: true,
        }),
      );
      const current = Item ? (unmarshall(Item) as GateItem) : undefined;
      const live = Object.fromEntries(Object.entries(current?.holders ?? {}).filter(([, until]) => until > now));
      if (withinSlots && !(holder in live) && Object.keys(live).length >= this.options.slots) return false;
      live[holder] = now + this.options.leaseSeconds * 1000;
      const next: GateItem = {
        gate: this.options.gate,
        holders: live,
        version: (current?.version ?? 0) + 1,
        expiresAt: Math.ceil(Math.max(...Object.values(live)) / 1000) + 86_400,
      };
      try {
        await this.dynamodb.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: marshall(next),
            ConditionExpression: current ? 'version = :read' : 'attribute_not_exists(gate)',
            ...(current ? { ExpressionAttributeValues: marshall({ ':read': current.version }) } : {}),
          }),
        );
        return true;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    }
    return false;
  }
}
