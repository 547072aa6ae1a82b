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
  /** TTL (epoch seconds): an idle gate's row goes away by itself. */
  expiresAt: number;
}

const DAY_SECONDS = 86_400;
/** DynamoDB's answer when SET holders.#holder runs before the item (and its map) exists. */
const isMissingMap = (error: unknown) => error instanceof Error && error.name === 'ValidationException';

/**
 * One DynamoDB item per gate holds the current leases, as a map of holder to lease end. A
 * holder takes a slot with a single conditional UpdateItem (it holds one already, or fewer
 * than `slots` are held), so two jobs can never both take the last slot. Leases that ran out
 * still count until a holder that found the gate full removes them, conditioned on their
 * being unchanged.
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

  async acquire(holder: string): Promise<boolean> {
    if (await this.hold(holder, true)) return true;
    // Full, or never used: make the item, or free the leases that lapsed (a job whose execution
    // vanished), then try once more.
    const item = await this.read();
    if (!item) await this.create(this.clock.now().getTime());
    else if (!(await this.removeLapsed(item))) return false;
    return this.hold(holder, true);
  }

  async renew(holder: string): Promise<void> {
    await this.hold(holder, false);
  }

  async release(holder: string): Promise<void> {
    try {
      await this.dynamodb.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: this.key(),
          UpdateExpression: 'REMOVE holders.#holder',
          ConditionExpression: 'attribute_exists(holders.#holder)',
          ExpressionAttributeNames: { '#holder': holder },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  private key() {
    return marshall({ gate: this.options.gate });
  }

  /** Sets the holder's lease end; with `withinSlots`, only if it holds a slot or one is free. */
  private async hold(holder: string, withinSlots: boolean, created = false): Promise<boolean> {
    const now = this.clock.now().getTime();
    try {
      await this.dynamodb.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: this.key(),
          UpdateExpression: 'SET holders.#holder = :until, expiresAt = :ttl',
          ...(withinSlots
            ? { ConditionExpression: 'attribute_exists(holders.#holder) OR size(holders) < :slots' }
            : {}),
          ExpressionAttributeNames: { '#holder': holder },
          ExpressionAttributeValues: marshall({
            ':until': now + this.options.leaseSeconds * 1000,
            ':ttl': Math.ceil(now / 1000) + this.options.leaseSeconds + DAY_SECONDS,
            ...(withinSlots ? { ':slots': this.options.slots } : {}),
          }),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      if (!isMissingMap(error) || created) throw error;
      await this.create(now);
      return this.hold(holder, withinSlots, true);
    }
  }

  /** The gate's item with no holders; another holder may have made it first. */
  private async create(now: number): Promise<void> {
    const item: GateItem = { gate: this.options.gate, holders: {}, expiresAt: Math.ceil(now / 1000) + DAY_SECONDS };
    try {
      await this.dynamodb.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshall(item),
          ConditionExpression: 'attribute_not_exists(gate)',
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  private async read(): Promise<GateItem | undefined> {
    const { Item } = await this.dynamodb.send(
      new GetItemCommand({ TableName: this.tableName, Key: this.key(), ConsistentRead: true }),
    );
    return Item ? (unmarshall(Item) as GateItem) : undefined;
  }

  /** Removes leases that ran out, unless their holders renewed meanwhile; true when any went. */
  private async removeLapsed(item: GateItem): Promise<boolean> {
    const now = this.clock.now().getTime();
    const lapsed = Object.entries(item.holders).filter(([, until]) => until <= now);
    if (!lapsed.length) return false;
    const names = Object.fromEntries(lapsed.map(([holder], index) => [`#h${index}`, holder]));
    const values = Object.fromEntries(lapsed.map(([, until], index) => [`:u${index}`, until]));
    try {
      await this.dynamodb.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: this.key(),
          UpdateExpression: `REMOVE ${lapsed.map((_, index) => `holders.#h${index}`).join(', ')}`,
          ConditionExpression: lapsed.map((_, index) => `holders.#h${index} = :u${index}`).join(' AND '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: marshall(values),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}
