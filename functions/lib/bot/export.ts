import { createHash } from 'node:crypto';
import type { Recording } from './model';
import type { ExportMinimum } from './turn';

export type Split = 'train' | 'dev' | 'test';
export type ExportFormat = 'jsonl' | 'tsv';

/** Shares of speakers per split, in percent. */
export const SPLIT_PERCENT = { train: 80, dev: 10, test: 10 } as const;

const percentile = (seed: string) => parseInt(createHash('sha256').update(seed).digest('hex').slice(0, 8), 16) % 100;

/**
 * A speaker's split follows from their hash alone, so every recording of a speaker lands in
 * the same split, and a speaker never moves between exports as the dataset grows.
 */
export function splitFor(speaker: string): Split {
  const bucket = percentile(`split:${speaker}`);
  if (bucket < SPLIT_PERCENT.train) return 'train';
  if (bucket < SPLIT_PERCENT.train + SPLIT_PERCENT.dev) return 'dev';
  return 'test';
}

/** Share of sentences, in percent, held out for the test split. */
export const TEST_SENTENCE_PERCENT = SPLIT_PERCENT.test;

/** Whether a sentence is a test sentence: read in the test split only, by test speakers only. */
export function isTestSentence(promptId: string): boolean {
  return percentile(`test-sentence:${promptId}`) < TEST_SENTENCE_PERCENT;
}

export interface ManifestRow {
  recording_id: string;
  speaker: string;
  split: Split;
  audio_video: string;
  kind: string;
  prompt_id: string;
  prompt_text: string;
  language: string;
  duration_sec: number | null;
  gender: string;
  age_range: string;
  accent: string;
  lighting: string;
  location: string;
  consent_version: string;
  verdict: string;
  transcript: string;
  wer: number | null;
  face_ratio: number | null;
}

export const MANIFEST_COLUMNS: ReadonlyArray<keyof ManifestRow> = [
  'recording_id',
  'speaker',
  'split',
  'audio_video',
  'kind',
  'prompt_id',
  'prompt_text',
  'language',
  'duration_sec',
  'gender',
  'age_range',
  'accent',
  'lighting',
  'location',
  'consent_version',
  'verdict',
  'transcript',
  'wer',
  'face_ratio',
];

export interface ManifestOptions {
  /** Their recordings stay out of exports while they are blocked. */
  blockedUserIds: ReadonlySet<string>;
  minimum: ExportMinimum;
}

export interface Manifest {
  rows: ManifestRow[];
  excluded: { belowVerdict: number; blocked: number; heldOut: number };
}

function meetsMinimum(recording: Recording, minimum: ExportMinimum): boolean {
  const verdict = recording.quality?.verdict;
  if (minimum === 'any') return true;
  if (minimum === 'unverified') return verdict === 'accepted' || verdict === 'unverified';
  return verdict === 'accepted';
}

/**
 * The dataset: stored, non-test recordings of unblocked speakers that reached the minimum
 * verdict. Splits are speaker-disjoint, and the test split is sentence-disjoint as well: a
 * test sentence is read by test speakers only, so a take that would break that is held out.
 * The speaker column is the hash, never the Telegram id.
 */
export function manifestRows(recordings: readonly Recording[], options: ManifestOptions): Manifest {
  const excluded = { belowVerdict: 0, blocked: 0, heldOut: 0 };
  const rows: ManifestRow[] = [];
  const sorted = recordings
    .filter((recording) => recording.status === 'stored' && !recording.isTest)
    .sort((a, b) => a.contributorHash.localeCompare(b.contributorHash) || a.createdAt.localeCompare(b.createdAt));
  for (const recording of sorted) {
    if (options.blockedUserIds.has(recording.userId)) {
      excluded.blocked += 1;
      continue;
    }
    if (!meetsMinimum(recording, options.minimum)) {
      excluded.belowVerdict += 1;
      continue;
    }
    const split = splitFor(recording.contributorHash);
    if (recording.kind !== 'calibration' && (split === 'test') !== isTestSentence(recording.promptId)) {
      excluded.heldOut += 1;
      continue;
    }
    rows.push({
      recording_id: recording.recordingId,
      speaker: recording.contributorHash,
      split,
      audio_video: `s3://${recording.bucket}/${recording.key}`,
      kind: recording.kind,
      prompt_id: recording.promptId,
      prompt_text: recording.promptText,
      language: recording.language,
      duration_sec: recording.durationSec ?? null,
      gender: recording.demographics.gender ?? '',
      age_range: recording.demographics.ageRange ?? '',
      accent: recording.demographics.accent ?? '',
      lighting: recording.capture.lighting ?? '',
      location: recording.capture.location ?? '',
      consent_version: recording.consentVersion ?? '',
      verdict: recording.quality?.verdict ?? 'pending',
      transcript: recording.quality?.transcript ?? '',
      wer: recording.quality?.wer ?? null,
      face_ratio: recording.quality?.faceRatio ?? null,
    });
  }
  return { rows, excluded };
}

/** Characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection"). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One TSV cell: tabs and line breaks become spaces, and free text that a spreadsheet would
 * run as a formula (=HYPERLINK(...), +cmd, -1+1, @SUM) is prefixed with an apostrophe.
 */
export function tsvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return String(value);
  const text = String(value).replace(/[\t\r\n]+/g, ' ');
  return FORMULA_START.test(String(value)) ? `'${text}` : text;
}
export function formatManifest(rows: readonly ManifestRow[], format: ExportFormat): string {
  if (format === 'jsonl') return rows.map((row) => JSON.stringify(row)).join('\n') + (rows.length ? '\n' : '');
  const lines = [
    MANIFEST_COLUMNS.join('\t'),
    ...rows.map((row) => MANIFEST_COLUMNS.map((c) => tsvCell(row[c])).join('\t')),
  ];
  return lines.join('\n') + '\n';
}

export function splitCounts(rows: readonly ManifestRow[]): Record<Split, number> & { speakers: number } {
  const speakers = new Map(rows.map((row) => [row.speaker, row.split]));
  const counts = { train: 0, dev: 0, test: 0, speakers: speakers.size };
  for (const split of speakers.values()) counts[split] += 1;
  return counts;
}
