/**
 * The bot's DynamoDB adapters against dynalite: the rules live in their condition
 * expressions (claim an update once, retry only a failed claim or one whose lease ran out,
 * optimistic locking of contributors, one recording per file, coverage counted once per take),
 * so only a real DynamoDB can judge them.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import {
  DynamoDbContributorStore,
  DynamoDbRecordingStore,
  DynamoDbSentenceStore,
  DynamoDbUpdateLedger,
} from '../../../functions/lib/adapters/dynamodb-bot-store';
import { DynamoDbRecordingQualityStore } from '../../../functions/lib/adapters/contribution-feedback-store';
import { ContributorChangedError } from '../../../functions/lib/bot/errors';
import type { Contributor, Recording, Sentence } from '../../../functions/lib/bot/model';
import type { Clock } from '../../../functions/lib/ports';
import { startLocalDynamoDb, type LocalDynamoDb } from '../../support/local-dynamodb';

const LIMITS = { maxAttempts: 3, leaseSec: 120 };

class SettableClock implements Clock {
  constructor(private current = new Date('2025-03-01T12:00:00Z')) {}
  now() {
    return this.current;
  }
  advance(seconds: number) {
    this.current = new Date(this.current.getTime() + seconds * 1000);
  }
}

function contributor(userId: string, overrides: Partial<Contributor> = {}): Contributor {
  return {
    userId,
    chatId: Number(userId),
    language: 'en',
    step: 'recording',
    contributorHash: `hash-${userId}`,
    demographics: {},
    capture: {},
    doneSentenceIds: [],
    recordings: 0,
    createdAt: '2025-03-01T12:00:00Z',
    ...overrides,
  } as Contributor;
}

function recording(recordingId: string, status: Recording['status'] = 'uploading'): Recording {
  return {
    recordingId,
    status,
    userId: '7',
    chatId: 7,
    contributorHash: 'hash-7',
    language: 'en',
    kind: 'sentence',
    promptId: 'en-1',
    promptText: 'bin blue at f two now',
    bucket: 'gorggle-uploads',
    key: `contributions/hash-7/${recordingId}.mp4`,
    mediaType: 'video',
    mimeType: 'video/mp4',
    fileUniqueId: `unique-${recordingId}`,
    demographics: {},
    capture: {},
    createdAt: '2025-03-01T12:00:00Z',
  };
}

describe('the bot tables on dynalite', () => {
  let dynamodb: LocalDynamoDb;

  beforeAll(async () => {
    dynamodb = await startLocalDynamoDb(['bot_contributors', 'bot_recordings', 'bot_sentences', 'bot_updates']);
  });

  afterAll(async () => {
    await dynamodb?.stop();
  });

  const rowOf = async (table: string, key: Record<string, string>) => {
    const { Item } = await dynamodb.client.send(
      new GetItemCommand({ TableName: dynamodb.tables[table], Key: marshall(key), ConsistentRead: true }),
    );
    return Item ? unmarshall(Item) : undefined;
  };

  describe('DynamoDbUpdateLedger', () => {
    const ledgerWith = (clock: Clock) => new DynamoDbUpdateLedger(dynamodb.client, dynamodb.tables.bot_updates!, clock);

    it('claims an update once: a repeat is refused while it runs and after it is done', async () => {
      // Prepare
      const ledger = ledgerWith(new SettableClock());

      // Act
      const first = await ledger.claim(101, LIMITS);
      const whileRunning = await ledger.claim(101, LIMITS);
      await ledger.settle(101, 'done');
      const afterDone = await ledger.claim(101, LIMITS);

      // Assess
      expect(first).toEqual({ state: 'claimed', attempt: 1 });
      expect(whileRunning).toEqual({ state: 'in-progress' });
      expect(afterDone).toEqual({ state: 'done' });
      expect(await rowOf('bot_updates', { updateKey: 'update#101' })).toMatchObject({ status: 'done', attempts: 1 });
    });

    it('grants a failed update again, counting attempts, until maxAttempts', async () => {
      // Prepare
      const ledger = ledgerWith(new SettableClock());

      // Act
      const attempts: Array<number | undefined> = [];
      for (let delivery = 0; delivery < 4; delivery += 1) {
        const claim = await ledger.claim(102, LIMITS);
        attempts.push(claim.state === 'claimed' ? claim.attempt : undefined);
        if (claim.state === 'claimed') await ledger.settle(102, 'failed');
      }

      // Assess
      expect(attempts).toEqual([1, 2, 3, undefined]);
      expect(await rowOf('bot_updates', { updateKey: 'update#102' })).toMatchObject({ status: 'failed', attempts: 3 });
    });

    it('never grants an abandoned update again', async () => {
      // Prepare
      const ledger = ledgerWith(new SettableClock());
      await ledger.claim(103, LIMITS);
      await ledger.settle(103, 'abandoned');

      // Act
      const again = await ledger.claim(103, LIMITS);

      // Assess
      expect(again).toEqual({ state: 'done' });
    });

    it('takes over a claim whose invocation died (its lease ran out), and only then', async () => {
      // Prepare
      const clock = new SettableClock();
      const ledger = ledgerWith(clock);
      await ledger.claim(104, LIMITS);

      // Act
      clock.advance(LIMITS.leaseSec - 1);
      const tooEarly = await ledger.claim(104, LIMITS);
      clock.advance(2);
      const takenOver = await ledger.claim(104, LIMITS);

      // Assess
      expect(tooEarly).toEqual({ state: 'in-progress' });
      expect(takenOver).toEqual({ state: 'claimed', attempt: 2 });
      expect(await rowOf('bot_updates', { updateKey: 'update#104' })).toMatchObject({
        status: 'processing',
        attempts: 2,
        claimedAt: clock.now().toISOString(),
      });
    });

    it('gives exactly one of two simultaneous deliveries the claim', async () => {
      // Prepare
      const ledger = ledgerWith(new SettableClock());

      // Act
      const claims = await Promise.all([ledger.claim(105, LIMITS), ledger.claim(105, LIMITS)]);

      // Assess
      expect(claims.filter((claim) => claim.state === 'claimed')).toEqual([{ state: 'claimed', attempt: 1 }]);
    });
  });

  describe('DynamoDbContributorStore', () => {
    const store = () => new DynamoDbContributorStore(dynamodb.client, dynamodb.tables.bot_contributors!);

    it('creates a contributor once: a second create of the same user is a conflict', async () => {
      // Prepare
      const contributors = store();
      await contributors.save(contributor('201'), undefined);

      // Act
      const again = contributors.save(contributor('201', { language: 'he' }), undefined);

      // Assess
      await expect(again).rejects.toBeInstanceOf(ContributorChangedError);
      expect(await contributors.get('201')).toEqual({ contributor: contributor('201'), version: 1 });
    });

    it('saves over the version it read, and refuses a save based on an older one', async () => {
      // Prepare
      const contributors = store();
      await contributors.save(contributor('202'), undefined);
      const read = await contributors.get('202');

      // Act
      await contributors.save({ ...read!.contributor, recordings: 1 }, read!.version);
      const stale = contributors.save({ ...read!.contributor, recordings: 5 }, read!.version);

      // Assess
      await expect(stale).rejects.toBeInstanceOf(ContributorChangedError);
      expect(await contributors.get('202')).toEqual({ contributor: contributor('202', { recordings: 1 }), version: 2 });
    });

    it('lets only one of two concurrent read-modify-writes of the same contributor through', async () => {
      // Prepare
      const contributors = store();
      await contributors.save(contributor('203'), undefined);
      const [first, second] = await Promise.all([contributors.get('203'), contributors.get('203')]);

      // Act
      const outcomes = await Promise.allSettled([
        contributors.save({ ...first!.contributor, recordings: 1, doneSentenceIds: ['en-1'] }, first!.version),
        contributors.save({ ...second!.contributor, recordings: 1, doneSentenceIds: ['en-2'] }, second!.version),
      ]);

      // Assess
      expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);
      expect(outcomes.find((outcome) => outcome.status === 'rejected')).toMatchObject({
        reason: expect.any(ContributorChangedError),
      });
      expect((await contributors.get('203'))?.version).toBe(2);
    });
  });

  describe('DynamoDbRecordingStore', () => {
    const store = () => new DynamoDbRecordingStore(dynamodb.client, dynamodb.tables.bot_recordings!);

    it('claims a recording id once; a repeat resumes an unfinished one and is a duplicate once stored', async () => {
      // Prepare
      const recordings = store();

      // Act
      const first = await recordings.claim(recording('r-301'));
      const beforeStored = await recordings.claim(recording('r-301'));
      await recordings.markStored('r-301', { storedAt: '2025-03-01T12:01:00Z', jobId: 'job-301' });
      const afterStored = await recordings.claim(recording('r-301'));

      // Assess
      expect([first, beforeStored, afterStored].map((claim) => claim.outcome)).toEqual([
        'claimed',
        'resume',
        'duplicate',
      ]);
      expect(await rowOf('bot_recordings', { recordingId: 'r-301' })).toMatchObject({
        status: 'stored',
        storedAt: '2025-03-01T12:01:00Z',
        jobId: 'job-301',
      });
    });

    it('does not create a row when marking an unknown recording stored', async () => {
      // Act
      const marking = store().markStored('r-never-claimed', { storedAt: '2025-03-01T12:01:00Z', jobId: 'job-1' });

      // Assess
      await expect(marking).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
      expect(await rowOf('bot_recordings', { recordingId: 'r-never-claimed' })).toBeUndefined();
    });
  });

  describe('DynamoDbRecordingQualityStore', () => {
    const store = () => new DynamoDbRecordingQualityStore(dynamodb.client, dynamodb.tables.bot_recordings!);
    const quality = (jobId: string) => ({
      jobId,
      jobStatus: 'COMPLETED',
      verdict: 'accepted' as const,
      checkedAt: '2025-03-01T12:05:00.000Z',
    });

    it('does not mark a verdict told once a newer job replaced it', async () => {
      // Prepare
      const qualities = store();
      await new DynamoDbRecordingStore(dynamodb.client, dynamodb.tables.bot_recordings!).claim(recording('r-401'));
      await qualities.setQuality('r-401', quality('job-old'));
      await qualities.setQuality('r-401', quality('job-new'));

      // Act
      const marking = qualities.markNotified('r-401', 'job-old', new Date('2025-03-01T12:06:00Z'));

      // Assess
      await expect(marking).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
      expect((await qualities.get('r-401'))?.quality).toEqual(quality('job-new'));
    });

    it('refuses a verdict for a recording that has no row', async () => {
      // Act
      const stored = await store().setQuality('r-missing', quality('job-1'));

      // Assess
      expect(stored).toBe(false);
      expect(await rowOf('bot_recordings', { recordingId: 'r-missing' })).toBeUndefined();
    });
  });

  describe('DynamoDbSentenceStore', () => {
    const store = () => new DynamoDbSentenceStore(dynamodb.client, dynamodb.tables.bot_sentences!);
    const sentence: Sentence = {
      sentenceId: 'en-901',
      language: 'en',
      text: 'set white in z three now',
      recordings: 0,
      skips: 0,
      reports: 0,
      active: true,
      source: 'test',
      createdAt: '2025-03-01T12:00:00Z',
    };

    it('adds a sentence only if absent, counts each take once, and counts only sentences that exist', async () => {
      // Prepare
      const sentences = store();

      // Act
      const added = await sentences.addIfAbsent(sentence);
      const addedAgain = await sentences.addIfAbsent({ ...sentence, text: 'changed' });
      await sentences.countRecording('en-901', 'r-1');
      await sentences.countRecording('en-901', 'r-1');
      await sentences.countRecording('en-901', 'r-2');
      await sentences.uncountRecording('en-901', 'r-2');
      await sentences.increment('en-901', 'skips');
      await sentences.countRecording('en-deleted', 'r-3');
      await sentences.increment('en-deleted', 'skips');

      // Assess
      expect([added, addedAgain]).toEqual([true, false]);
      expect(await rowOf('bot_sentences', { sentenceId: 'en-901' })).toMatchObject({
        text: sentence.text,
        recordings: 1,
        recordedBy: new Set(['r-1']),
        skips: 1,
      });
      expect(await rowOf('bot_sentences', { sentenceId: 'en-deleted' })).toBeUndefined();
    });
  });
});
