import { formatManifest, manifestRows, splitCounts, splitFor } from '../../../functions/lib/bot/export';
import { contributorHash, recordingIdFor } from '../../../functions/lib/bot/identity';
import { MESSAGES } from '../../../functions/lib/bot/i18n';
import type { Recording, Sentence } from '../../../functions/lib/bot/model';
import { newSentence, parseSentenceLines, pickSentence } from '../../../functions/lib/bot/sentences';

function recording(userId: number, index: number, overrides: Partial<Recording> = {}): Recording {
  const hash = contributorHash(String(userId), 'salt');
  const recordingId = recordingIdFor(String(userId), `u-${index}`);
  return {
    recordingId,
    status: 'stored',
    userId: String(userId),
    chatId: userId,
    contributorHash: hash,
    language: 'en',
    kind: 'sentence',
    promptId: `en-${index}`,
    promptText: `Sentence number ${index}`,
    bucket: 'uploads',
    key: `contributions/${hash}/${recordingId}.mp4`,
    mediaType: 'video',
    mimeType: 'video/mp4',
    durationSec: 3,
    fileUniqueId: `u-${userId}-${index}`,
    demographics: { gender: 'female', ageRange: '30-44', accent: 'us' },
    capture: {},
    createdAt: `2025-01-01T00:00:${String(index).padStart(2, '0')}Z`,
    ...overrides,
  };
}

describe('the export manifest', () => {
  // Prepare: 200 speakers with three recordings each
  const recordings = Array.from({ length: 200 }, (_, speaker) =>
    [0, 1, 2].map((index) => recording(5_000_000 + speaker, index)),
  ).flat();

  it('puts every speaker in exactly one split, and uses all three', () => {
    // Act
    const rows = manifestRows(recordings);

    // Assess
    const splits = new Map<string, Set<string>>();
    for (const row of rows) splits.set(row.speaker, (splits.get(row.speaker) ?? new Set()).add(row.split));
    expect(splits.size).toBe(200);
    expect([...splits.values()].every((set) => set.size === 1)).toBe(true);
    const counts = splitCounts(rows);
    expect(counts.train + counts.dev + counts.test).toBe(200);
    expect(counts.train).toBeGreaterThan(130);
    expect(counts.dev).toBeGreaterThan(5);
    expect(counts.test).toBeGreaterThan(5);
  });

  it('names speakers by hash only, never by Telegram id or chat id', () => {
    // Act
    const jsonl = formatManifest(manifestRows(recordings), 'jsonl');
    const tsv = formatManifest(manifestRows(recordings), 'tsv');

    // Assess
    for (const text of [jsonl, tsv]) {
      expect(recordings.filter((row) => text.includes(row.userId))).toEqual([]);
    }
    expect(tsv.split('\n')[0]!.split('\t')).toContain('face_ratio');
    expect(jsonl.trim().split('\n')).toHaveLength(600);
  });

  it('leaves out test data and recordings that never finished uploading, and carries quality figures', () => {
    // Prepare
    const mixed = [
      recording(1, 0, { isTest: true }),
      recording(2, 0, { status: 'uploading' }),
      recording(3, 0, {
        quality: {
          jobId: 'j',
          jobStatus: 'COMPLETED',
          verdict: 'accepted',
          transcript: 'sentence number zero',
          wer: 0.333,
          faceRatio: 0.9,
          checkedAt: 'x',
        },
      }),
    ];

    // Act
    const rows = manifestRows(mixed);

    // Assess
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      verdict: 'accepted',
      wer: 0.333,
      face_ratio: 0.9,
      transcript: 'sentence number zero',
    });
  });

  it('keeps a speaker in the split their hash gives, whatever else is exported', () => {
    const hash = contributorHash('42', 'salt');
    expect(manifestRows([recording(42, 0)])[0]!.split).toBe(splitFor(hash));
    expect(manifestRows([...recordings, recording(42, 0)]).find((row) => row.speaker === hash)!.split).toBe(
      splitFor(hash),
    );
  });
});

describe('contributor hashes', () => {
  it('are stable per salt, differ between users and salts, and do not contain the id', () => {
    expect(contributorHash('123456789', 'a')).toBe(contributorHash('123456789', 'a'));
    expect(contributorHash('123456789', 'a')).not.toBe(contributorHash('123456780', 'a'));
    expect(contributorHash('123456789', 'a')).not.toBe(contributorHash('123456789', 'b'));
    expect(contributorHash('123456789', 'a')).not.toContain('123456789');
  });
});

describe('choosing the next sentence', () => {
  const now = new Date('2025-01-01T00:00:00Z');
  const sentence = (text: string, recordings: number, active = true): Sentence => ({
    ...newSentence('en', text, 'test', now),
    recordings,
    active,
  });

  it('offers the sentence with the fewest recordings that this contributor has not done', () => {
    // Prepare
    const sentences = [
      sentence('Most recorded one.', 9),
      sentence('Never recorded.', 0),
      sentence('Once recorded.', 1),
    ];

    // Act
    const first = pickSentence(sentences, [], 'abc');
    const second = pickSentence(sentences, [first!.sentenceId], 'abc');

    // Assess
    expect(first?.text).toBe('Never recorded.');
    expect(second?.text).toBe('Once recorded.');
  });

  it('skips inactive sentences and returns nothing when all are done', () => {
    const sentences = [sentence('Retired sentence.', 0, false), sentence('Done sentence.', 0)];
    expect(pickSentence(sentences, [sentences[1]!.sentenceId], 'abc')).toBeUndefined();
  });

  it('spreads contributors over equally recorded sentences', () => {
    const sentences = Array.from({ length: 20 }, (_, index) => sentence(`Equal sentence ${index}.`, 0));
    const picks = new Set(
      Array.from({ length: 20 }, (_, index) => pickSentence(sentences, [], `person-${index}`)!.sentenceId),
    );
    expect(picks.size).toBeGreaterThan(5);
  });

  it('parses one sentence per line, dropping comments, duplicates and bad lengths', () => {
    const { accepted, rejected } = parseSentenceLines(
      `# comment\nHi\nA fine sentence.\n\nA fine sentence.\n${'x'.repeat(200)}`,
    );
    expect(accepted).toEqual(['A fine sentence.']);
    expect(rejected).toEqual(['Hi', 'x'.repeat(200)]);
  });

  it('gives the same text the same id, so seeding twice adds nothing', () => {
    expect(newSentence('he', ' שלום  עולם ', 'a', now).sentenceId).toBe(
      newSentence('he', 'שלום עולם', 'b', now).sentenceId,
    );
  });
});

describe('the bot strings', () => {
  it('have the same keys and placeholders in Hebrew and English', () => {
    const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();
    expect(Object.keys(MESSAGES.he).sort()).toEqual(Object.keys(MESSAGES.en).sort());
    for (const key of Object.keys(MESSAGES.en) as Array<keyof typeof MESSAGES.en>) {
      expect([key, placeholders(MESSAGES.he[key])]).toEqual([key, placeholders(MESSAGES.en[key])]);
    }
  });
});
