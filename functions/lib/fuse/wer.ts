import { editDistance } from './levenshtein';
import { normaliseText, roundTo } from './words';

/**
 * Word error rate: word-level edit distance over the reference length, ignoring case
 * and punctuation. Undefined when the reference has no words (nothing to measure).
 */
export function wordErrorRate(reference: string, hypothesis: string): number | undefined {
  const referenceWords = normaliseText(reference);
  if (referenceWords.length === 0) return undefined;
  return roundTo(editDistance(referenceWords, normaliseText(hypothesis)) / referenceWords.length, 4);
}
