import { createHash } from 'node:crypto';
import type { Language, Sentence } from './model';

export const MIN_SENTENCE_CHARS = 3;
export const MAX_SENTENCE_CHARS = 160;

/** The same text in the same language always gets the same id, so adding twice is a no-op. */
export function sentenceId(language: Language, text: string): string {
  return `${language}-${createHash('sha256').update(normaliseSentence(text)).digest('hex').slice(0, 12)}`;
}

export function normaliseSentence(text: string): string {
  return text.normalize('NFC').replace(/\s+/g, ' ').trim();
}

/** One sentence per line; blank lines and # comments are skipped. */
export function parseSentenceLines(text: string): { accepted: string[]; rejected: string[] } {
  const accepted: string[] = [];
  const rejected: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = normaliseSentence(raw);
    if (!line || line.startsWith('#')) continue;
    if (line.length < MIN_SENTENCE_CHARS || line.length > MAX_SENTENCE_CHARS) rejected.push(line);
    else if (!accepted.includes(line)) accepted.push(line);
  }
  return { accepted, rejected };
}

export function newSentence(language: Language, text: string, source: string, now: Date, isTest = false): Sentence {
  const normalised = normaliseSentence(text);
  return {
    sentenceId: sentenceId(language, normalised),
    language,
    text: normalised,
    recordings: 0,
    skips: 0,
    reports: 0,
    active: true,
    source,
    ...(isTest ? { isTest: true } : {}),
    createdAt: now.toISOString(),
  };
}

/**
 * Common Voice's rule: the sentence with the fewest recordings that this contributor has
 * not recorded, skipped or reported. Ties go to a per-contributor order, so people who
 * start together do not all read the same sentence.
 */
export function pickSentence(
  sentences: readonly Sentence[],
  done: readonly string[],
  contributorHash: string,
): Sentence | undefined {
  const excluded = new Set(done);
  const tieBreak = (sentence: Sentence) =>
    createHash('sha256').update(`${contributorHash}:${sentence.sentenceId}`).digest('hex');
  return sentences
    .filter((sentence) => sentence.active && !excluded.has(sentence.sentenceId))
    .map((sentence) => ({ sentence, order: tieBreak(sentence) }))
    .sort((a, b) => a.sentence.recordings - b.sentence.recordings || a.order.localeCompare(b.order))[0]?.sentence;
}
