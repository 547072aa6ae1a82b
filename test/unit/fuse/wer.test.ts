import { editDistance } from '../../../functions/lib/fuse/levenshtein';
import { wordErrorRate } from '../../../functions/lib/fuse/wer';
import { normaliseText } from '../../../functions/lib/fuse/words';

describe('wordErrorRate', () => {
  it('is zero for the same words in another case and punctuation', () => {
    expect(wordErrorRate('Bin blue at F two, now.', 'bin blue at f two now')).toBe(0);
  });

  it('counts substitutions, deletions and insertions over the reference length', () => {
    // Prepare: one substitution (at -> in), one deletion (two), one insertion (please)
    const reference = 'bin blue at f two now';
    const hypothesis = 'bin blue in f now please';

    // Act
    const rate = wordErrorRate(reference, hypothesis);

    // Assess
    expect(rate).toBe(0.5);
  });

  it('can exceed 1 when the hypothesis is much longer than the reference', () => {
    expect(wordErrorRate('yes', 'no no no')).toBe(3);
  });

  it('is 1 for an empty hypothesis and undefined for an empty reference', () => {
    expect(wordErrorRate('place red by j', '')).toBe(1);
    expect(wordErrorRate(' ... ', 'anything')).toBeUndefined();
  });

  it('keeps apostrophes inside words and folds typographic ones', () => {
    expect(normaliseText("I’ve been 'here' — OK?")).toEqual(["i've", 'been', 'here', 'ok']);
  });

  it('computes the classic kitten/sitting distance on characters', () => {
    expect(editDistance([...'kitten'], [...'sitting'])).toBe(3);
  });
});
