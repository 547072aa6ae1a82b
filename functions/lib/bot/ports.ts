import type { Readable } from 'node:stream';
import type { Contributor, Language, Recording, RecordingQuality, ReportReason, Sentence } from './model';

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

export interface SentenceStore {
  listActive(language: Language): Promise<Sentence[]>;
  list(): Promise<Sentence[]>;
  /** False when a sentence with that id exists already. */
  addIfAbsent(sentence: Sentence): Promise<boolean>;
  increment(sentenceId: string, counter: 'skips'): Promise<void>;
  /** Counts a report; at `retireAfter` reports the sentence is no longer offered. */
  report(sentenceId: string, reason: ReportReason, retireAfter: number): Promise<void>;
  /** Counts a stored take toward coverage, once per recording however often it is called. */
  countRecording(sentenceId: string, recordingId: string): Promise<void>;
  /** Takes a recording back out of coverage (rejected or deleted); a no-op when it was not counted. */
  uncountRecording(sentenceId: string, recordingId: string): Promise<void>;
  delete(sentenceId: string): Promise<void>;
}

export type ClaimOutcome =
  | { outcome: 'claimed' }
  /** An earlier attempt claimed it but never finished storing. */
  | { outcome: 'resume' }
  /** Stored already; the row as it is. */
  | { outcome: 'duplicate'; existing: Recording };

export interface RecordingStore {
  /** Claims a recording id with a conditional put. */
  claim(recording: Recording): Promise<ClaimOutcome>;
  markStored(recordingId: string, stored: { storedAt: string; jobId: string }): Promise<void>;
  get(recordingId: string): Promise<Recording | undefined>;
  list(): Promise<Recording[]>;
  /** One contributor's recordings (the by-user index). */
  listByUser(userId: string): Promise<Recording[]>;
  delete(recordingId: string): Promise<void>;
}

export type LedgerClaim =
  | { state: 'claimed'; attempt: number }
  /** Another invocation holds it and may still finish: ask Telegram to send it again later. */
  | { state: 'in-progress' }
  /** Handled (or given up) already. */
  | { state: 'done' };

export interface UpdateLedger {
  /**
   * Claims an update id. A claim is granted again after a failed attempt, or once the
   * holder's lease has run out (it died), up to `maxAttempts`. `attempt` counts from 1.
   */
  claim(updateId: number, options: { maxAttempts: number; leaseSec: number }): Promise<LedgerClaim>;
  settle(updateId: number, status: 'done' | 'failed' | 'abandoned'): Promise<void>;
  /** One update per chat at a time: false while another holder's lease is live. */
  lockChat(chatId: number, holder: string, leaseSec: number): Promise<boolean>;
  unlockChat(chatId: number, holder: string): Promise<void>;
}

export interface StoredObject {
  etag: string;
  versionId?: string;
}

export interface VideoStore {
  /** Streams a body to `key` in the uploads bucket. */
  upload(request: {
    key: string;
    body: Readable;
    contentType: string;
    metadata: Record<string, string>;
  }): Promise<StoredObject>;
  /** Deletes every version (and delete marker) of every object under `prefix`; returns how many. */
  purge(prefix: string): Promise<number>;
}

/** The pipeline's traces of a contribution: its job files and job row. */
export interface JobPurger {
  purgeJob(jobId: string): Promise<void>;
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
