import type { WordSource } from '../contracts/documents';

/** A word with its time span in seconds from the start of the media. */
export interface TimedWord {
  start: number;
  end: number;
  text: string;
  confidence: number;
}

export interface AudioWord extends TimedWord {
  /** Transcribe's diarisation label (spk_0, spk_1, ...). */
  speaker: string;
}

export interface FusedWord extends TimedWord {
  source: WordSource;
}

/** Lower case, without punctuation: how words are compared for alignment and WER. */
export function normaliseToken(text: string): string {
  return text
    .toLowerCase()
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/[^\p{L}\p{N}' ]+/gu, '')
    .replace(/^'+|'+$/g, '');
}

/** Splits free text into normalised tokens, dropping what was only punctuation. */
export function normaliseText(text: string): string[] {
  return text
    .split(/\s+/)
    .map(normaliseToken)
    .filter((token) => token.length > 0);
}

export function joinWords(words: readonly { text: string }[]): string {
  return words
    .map((word) => word.text)
    .join(' ')
    .trim();
}

export const roundTo = (value: number, digits = 3): number => {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
};

export const mean = (values: readonly number[]): number =>
  values.length ? values.reduce((sum, value) => sum + value, 0) / values.length : 0;
