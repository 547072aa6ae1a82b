/**
 * The local stand-in for S3 -> SQS -> Lambda: each notification becomes an SQS message,
 * messages are delivered to the consumer in batches (like the event source mapping), the
 * ones it reports in batchItemFailures (or all of them, when it throws) come back after a
 * visibility timeout, and after maxReceiveCount receives they go to a dead-letter file.
 */
import { createHash, randomUUID } from 'node:crypto';
import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

export interface UploadEventQueueOptions {
  queueArn: string;
  region: string;
  batchSize: number;
  batchWindowMs: number;
  visibilityTimeoutMs: number;
  maxReceiveCount: number;
  /** One JSON line per dead-lettered message. */
  deadLetterFile: string;
  /** The start-pipeline function: resolves to an SQSBatchResponse (or nothing); throwing fails the whole batch. */
  consumer: (event: SQSEvent) => Promise<unknown>;
  log?: {
    info(message: string, fields?: Record<string, unknown>): void;
    warn(message: string, fields?: Record<string, unknown>): void;
  };
}

interface Message {
  messageId: string;
  body: string;
  sentTimestamp: number;
  firstReceiveTimestamp?: number;
  receiveCount: number;
}

export class UploadEventQueue {
  private readonly ready: Message[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private batchTimer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;
  /** Messages sent and not yet finished (deleted or dead-lettered). */
  private pending = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly options: UploadEventQueueOptions) {}

  /** Like SendMessage: the body is the S3 notification JSON. */
  send(body: string): string {
    if (this.closed) throw new Error('The upload event queue is closed.');
    const message: Message = { messageId: randomUUID(), body, sentTimestamp: Date.now(), receiveCount: 0 };
    this.pending += 1;
    this.enqueue(message);
    return message.messageId;
  }

  /** Resolves when every message sent so far has been processed or dead-lettered. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.batchTimer);
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await Promise.allSettled([...this.inFlight]);
  }

  private enqueue(message: Message) {
    this.ready.push(message);
    if (this.ready.length >= this.options.batchSize) this.flush();
    else this.batchTimer ??= setTimeout(() => this.flush(), this.options.batchWindowMs);
  }

  private flush() {
    clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    while (this.ready.length && !this.closed) {
      const batch = this.ready.splice(0, this.options.batchSize);
      const delivery = this.deliver(batch).finally(() => this.inFlight.delete(delivery));
      this.inFlight.add(delivery);
    }
  }

  private toRecord(message: Message): SQSRecord {
    return {
      messageId: message.messageId,
      receiptHandle: `${message.messageId}#${message.receiveCount}`,
      body: message.body,
      attributes: {
        ApproximateReceiveCount: String(message.receiveCount),
        SentTimestamp: String(message.sentTimestamp),
        SenderId: 'AROALOCALS3:S3-LOCAL',
        ApproximateFirstReceiveTimestamp: String(message.firstReceiveTimestamp),
      },
      messageAttributes: {},
      md5OfBody: createHash('md5').update(message.body).digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: this.options.queueArn,
      awsRegion: this.options.region,
    };
  }

  private async deliver(batch: Message[]) {
    const now = Date.now();
    for (const message of batch) {
      message.receiveCount += 1;
      message.firstReceiveTimestamp ??= now;
    }
    let failedIds: Set<string>;
    try {
      const response = (await this.options.consumer({
        Records: batch.map((message) => this.toRecord(message)),
      })) as SQSBatchResponse | null | undefined;
      failedIds = new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
    } catch (error) {
      this.options.log?.warn('the consumer failed the whole batch', { error, messages: batch.length });
      failedIds = new Set(batch.map((message) => message.messageId));
    }
    for (const message of batch) {
      if (!failedIds.has(message.messageId)) this.finish();
      else if (message.receiveCount >= this.options.maxReceiveCount) await this.deadLetter(message);
      else this.redeliverLater(message);
    }
  }

  private redeliverLater(message: Message) {
    if (this.closed) return;
    this.options.log?.info('message will be delivered again', {
      messageId: message.messageId,
      receiveCount: message.receiveCount,
    });
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.closed) this.enqueue(message);
    }, this.options.visibilityTimeoutMs);
    this.timers.add(timer);
  }

  private async deadLetter(message: Message) {
    this.options.log?.warn('message moved to the dead-letter file', {
      messageId: message.messageId,
      receiveCount: message.receiveCount,
      file: this.options.deadLetterFile,
    });
    await mkdir(path.dirname(this.options.deadLetterFile), { recursive: true });
    await appendFile(
      this.options.deadLetterFile,
      `${JSON.stringify({ deadLetteredAt: new Date().toISOString(), ...this.toRecord(message) })}\n`,
    );
    this.finish();
  }

  private finish() {
    this.pending -= 1;
    if (this.pending === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}
