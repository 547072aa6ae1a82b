import type { Readable } from 'node:stream';
import type { Contributor, Language, Recording, RecordingQuality, Sentence } from './model';

/** Storage the bot needs; adapters/dynamodb-bot-store.ts implements it on DynamoDB. */

export interface StoredContributor {
  contributor: Contributor;
  /** Optimistic lock: a save with a stale version fails with a retryable error. */
  version: number;
}

export interface ContributorStore {
  get(userId: string): Promise<StoredContributor | undefined>;
  /** Writes the row when its version is still `expectedVersion` (undefined: a new row). */
  save(contributor: Contributor, expectedVersion: number | undefined): Promise<void>;
  list(): Promise<Contributor[]>;
  delete(userId: string): Promise<void>;
}

export type SentenceCounter = 'recordings' | 'skips' | 'reports';

export interface SentenceStore {
  listActive(language: Language): Promise<Sentence[]>;
  list(): Promise<Sentence[]>;
  /** False when a sentence with that id exists already. */
  addIfAbsent(sentence: Sentence): Promise<boolean>;
  increment(sentenceId: string, counter: SentenceCounter, reason?: string): Promise<void>;
  delete(sentenceId: string): Promise<void>;
}

export interface RecordingStore {
  /**
   * Claims a recording id with a conditional put. 'resume' means an earlier attempt
   * claimed it but never finished storing; 'duplicate' means it is stored already.
   */
  claim(recording: Recording): Promise<'claimed' | 'resume' | 'duplicate'>;
  markStored(recordingId: string, storedAt: string): Promise<void>;
  list(): Promise<Recording[]>;
  delete(recordingId: string): Promise<void>;
}

export interface UpdateLedger {
  /**
   * Claims an update id once; a claim is granted again only after a failed attempt
   * (or a stale one), up to `maxAttempts`. `attempt` counts from 1.
   */
  claim(
    updateId: number,
    options: { maxAttempts: number; staleAfterSec: number },
  ): Promise<{ attempt: number } | undefined>;
  settle(updateId: number, status: 'done' | 'failed' | 'abandoned'): Promise<void>;
}

export interface VideoStore {
  /** Streams a body to `key` in the uploads bucket. */
  upload(request: {
    key: string;
    body: Readable;
    contentType: string;
    metadata: Record<string, string>;
  }): Promise<void>;
  delete(key: string): Promise<void>;
}

/** Read side for the quality check. */
export interface RecordingQualityStore {
  get(recordingId: string): Promise<Recording | undefined>;
  /**
   * False when this job's verdict was recorded and its message sent already (EventBridge
   * delivers at least once). A verdict whose message never went out can be set again.
   */
  setQuality(recordingId: string, quality: RecordingQuality): Promise<boolean>;
  /** Records that the contributor was told this job's verdict. */
  markNotified(recordingId: string, jobId: string, at: Date): Promise<void>;
}
