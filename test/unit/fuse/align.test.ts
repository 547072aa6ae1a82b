import { fuseWords } from '../../../functions/lib/fuse/align';
import { alignSequences } from '../../../functions/lib/fuse/levenshtein';
import type { TimedWord } from '../../../functions/lib/fuse/words';

const words = (spec: Array<[string, number]>, start = 0): TimedWord[] =>
  spec.map(([text, confidence], index) => ({
    text,
    confidence,
    start: start + index * 0.4,
    end: start + index * 0.4 + 0.3,
  }));

describe('fuseWords: the worked example', () => {
  // Audio hears a filler and mishears "in"; the lips add a confident trailing word.
  const audio = words([
    ['bin', 0.9],
    ['uh', 0.3],
    ['blue', 0.8],
    ['at', 0.4],
    ['f', 0.9],
    ['two', 0.9],
    ['now', 0.9],
  ]);
  const visual = words([
    ['bin', 0.6],
    ['blue', 0.7],
    ['in', 0.75],
    ['f', 0.5],
    ['two', 0.8],
    ['now', 0.7],
    ['please', 0.65],
  ]);

  it('aligns match, deletion, substitution and insertion as Levenshtein does', () => {
    // Prepare
    const key = (word: TimedWord) => word.text;

    // Act
    const steps = alignSequences(audio, visual, key, key);

    // Assess
    expect(steps.map((step) => step.kind)).toEqual([
      'match',
      'deletion',
      'match',
      'substitution',
      'match',
      'match',
      'match',
      'insertion',
    ]);
  });

  it('keeps the more confident word per slot and drops unconfirmed weak words', () => {
    // Act
    const fused = fuseWords(audio, visual, 0.5);

    // Assess
    expect(fused.map(({ text, source, confidence }) => [text, source, confidence])).toEqual([
      ['bin', 'both', 0.96], // 1 - (1 - 0.9)(1 - 0.6)
      // "uh" (0.3) is heard only by the audio and is below the 0.5 threshold: dropped.
      ['blue', 'both', 0.94],
      ['in', 'visual', 0.75], // substitution: 0.75 beats "at" at 0.4
      ['f', 'both', 0.95],
      ['two', 'both', 0.98],
      ['now', 'both', 0.97],
      ['please', 'visual', 0.65], // insertion above the threshold: kept
    ]);
    const substituted = fused[2]!;
    expect([substituted.start, substituted.end]).toEqual([audio[3]!.start, audio[3]!.end]);
  });

  it('pairs tied substitutions by time, drops a weak insertion and keeps audio on a confidence tie', () => {
    // Prepare
    const heard = words([
      ['set', 0.7],
      ['red', 0.6],
    ]);
    const seen = words([
      ['set', 0.7],
      ['bed', 0.6],
      ['again', 0.2],
    ]);

    // Act
    const fused = fuseWords(heard, seen, 0.5);

    // Assess
    expect(fused.map((word) => [word.text, word.source])).toEqual([
      ['set', 'both'],
      ['red', 'audio'],
    ]);
  });

  it('matches words regardless of case and punctuation, keeping the audio spelling', () => {
    // Prepare
    const heard = words([['Now.', 0.8]]);
    const seen = words([['now', 0.5]]);

    // Act
    const [word] = fuseWords(heard, seen);

    // Assess
    expect(word).toMatchObject({ text: 'Now.', source: 'both', confidence: 0.9 });
  });
});
