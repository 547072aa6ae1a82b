import { createHash } from 'node:crypto';
import type { Recording } from './model';

export type Split = 'train' | 'dev' | 'test';
export type ExportFormat = 'jsonl' | 'tsv';

/** Shares of speakers per split, in percent. */
export const SPLIT_PERCENT = { train: 80, dev: 10, test: 10 } as const;

/**
 * A speaker's split follows from their hash alone, so every recording of a speaker lands in
 * the same split, and a speaker never moves between exports as the dataset grows.
 */
export function splitFor(speaker: string): Split {
  const bucket = parseInt(createHash('sha256').update(`split:${speaker}`).digest('hex').slice(0, 8), 16) % 100;
  if (bucket < SPLIT_PERCENT.train) return 'train';
  if (bucket < SPLIT_PERCENT.train + SPLIT_PERCENT.dev) return 'dev';
  return 'test';
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
  'verdict',
  'transcript',
  'wer',
  'face_ratio',
];

/** Stored, non-test recordings only; the speaker column is the hash, never the Telegram id. */
export function manifestRows(recordings: readonly Recording[]): ManifestRow[] {
  return recordings
    .filter((recording) => recording.status === 'stored' && !recording.isTest)
    .sort((a, b) => a.contributorHash.localeCompare(b.contributorHash) || a.createdAt.localeCompare(b.createdAt))
    .map((recording) => ({
      recording_id: recording.recordingId,
      speaker: recording.contributorHash,
      split: splitFor(recording.contributorHash),
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
      verdict: recording.quality?.verdict ?? 'pending',
      transcript: recording.quality?.transcript ?? '',
      wer: recording.quality?.wer ?? null,
      face_ratio: recording.quality?.faceRatio ?? null,
    }));
}

const tsvCell = (value: unknown) => (value === null ? '' : String(value).replace(/[\t\r\n]+/g, ' '));

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
