import { alignSequences } from './levenshtein';
import { normaliseToken, roundTo, type FusedWord, type TimedWord } from './words';

/** A word heard or seen by only one modality survives only above this confidence. */
export const DEFAULT_SOLO_WORD_THRESHOLD = 0.5;

/**
 * Fuses one segment's words. Levenshtein-align the normalised audio and visual tokens
 * (of equally cheap alignments, prefer pairing words that overlap in time), then decide
 * each aligned slot: a match keeps the audio word as 'both' with the
 * noisy-or of both confidences; a substitution keeps the more confident word (audio on a
 * tie), on the audio word's timing, which is sharper than the visual model's spread
 * times; a word only one side has (deletion or insertion) is kept only when its
 * confidence reaches the threshold.
 */
export function fuseWords(
  audio: readonly TimedWord[],
  visual: readonly TimedWord[],
  threshold = DEFAULT_SOLO_WORD_THRESHOLD,
): FusedWord[] {
  const key = (word: TimedWord) => normaliseToken(word.text);
  const steps = alignSequences(audio, visual, key, key, overlapsInTime);
  const fused: FusedWord[] = [];
  for (const step of steps) {
    switch (step.kind) {
      case 'match': {
        const { a: heard, b: seen } = step;
        const confidence = 1 - (1 - heard.confidence) * (1 - seen.confidence);
        fused.push({ ...timing(heard), text: heard.text, confidence: roundTo(confidence), source: 'both' });
        break;
      }
      case 'substitution': {
        const { a: heard, b: seen } = step;
        const winner = seen.confidence > heard.confidence ? seen : heard;
        fused.push({
          ...timing(heard),
          text: winner.text,
          confidence: roundTo(winner.confidence),
          source: winner === heard ? 'audio' : 'visual',
        });
        break;
      }
      case 'deletion': {
        const heard = step.a;
        if (heard.confidence >= threshold) fused.push({ ...timing(heard), ...solo(heard), source: 'audio' });
        break;
      }
      case 'insertion': {
        const seen = step.b;
        if (seen.confidence < threshold) break;
        // Visual times are spread evenly; keep the sequence monotonic in time.
        const start = Math.max(seen.start, fused.at(-1)?.end ?? 0);
        fused.push({ start, end: Math.max(start, seen.end), ...solo(seen), source: 'visual' });
        break;
      }
    }
  }
  return fused;
}

/** A single modality's words, passed through unchanged. */
export function passThrough(words: readonly TimedWord[], source: 'audio' | 'visual'): FusedWord[] {
  return words.map((word) => ({ ...timing(word), ...solo(word), source }));
}

const overlapsInTime = (a: TimedWord, b: TimedWord) => a.start < b.end && b.start < a.end;

const timing = (word: TimedWord) => ({ start: word.start, end: word.end });
const solo = (word: TimedWord) => ({ text: word.text, confidence: roundTo(word.confidence) });
