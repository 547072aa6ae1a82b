import {
  DEFAULT_LAYOUT,
  buildCues,
  cueCharacters,
  speakerPrefix,
  type LayoutRules,
} from '../../../functions/lib/fuse/cues';
import { layoutRulesSchema } from '../../../functions/lib/edits/schemas';
import type { TimedWord } from '../../../functions/lib/fuse/words';

/** Words back to back from `start`, each `wordSec` long with `gap` between them. */
function speech(texts: readonly string[], { start = 0, wordSec = 0.3, gap = 0.05 } = {}): TimedWord[] {
  return texts.map((text, index) => ({
    text,
    confidence: 0.9,
    start: start + index * (wordSec + gap),
    end: start + index * (wordSec + gap) + wordSec,
  }));
}

const words = (count: number, vocabulary = ['captions', 'follow', 'the', 'broadcast', 'rules', 'closely']) =>
  Array.from({ length: count }, (_, index) => vocabulary[index % vocabulary.length] ?? 'word');

describe('caption layout rules', () => {
  it('splits a long segment into cues within the line length, line count and longest duration', () => {
    // Prepare: one speaker for 60 s without a pause
    const speaker = 'Dana Cohen';

    // Act
    const cues = buildCues([{ speaker, words: speech(words(170)) }]);

    // Assess
    expect(cues.length).toBeGreaterThan(10);
    for (const cue of cues) {
      expect(cue.lines.length).toBeLessThanOrEqual(DEFAULT_LAYOUT.maxLines);
      expect((speakerPrefix(speaker) + cue.lines[0]).length).toBeLessThanOrEqual(DEFAULT_LAYOUT.maxLineChars);
      for (const line of cue.lines) expect(line.length).toBeLessThanOrEqual(DEFAULT_LAYOUT.maxLineChars);
      expect(cue.end - cue.start).toBeLessThanOrEqual(DEFAULT_LAYOUT.maxDurationSec);
    }
    expect(cues.flatMap((cue) => cue.lines.join(' ').split(' '))).toEqual(words(170));
  });

  it('keeps fast speech up long enough to read at 17 characters a second when the next cue allows', () => {
    // Prepare: 38 characters said in 1.2 s, then silence for 5 s
    const fast = speech(['this', 'was', 'said', 'much', 'too', 'quickly', 'to', 'read'], { wordSec: 0.12, gap: 0.03 });
    const later = speech(['later'], { start: 6.5 });

    // Act
    const [first, second] = buildCues([{ speaker: 'S', words: [...fast, ...later] }]);

    // Assess: 38 / 17 = 2.24 s on screen instead of 1.17 s
    expect(cueCharacters(first!)).toBe(38);
    expect(first!.end - first!.start).toBeCloseTo(38 / 17, 2);
    expect(second!.start).toBe(6.5);
  });

  it('lengthens a cue only up to just before the next one, and a lone short word to the shortest duration', () => {
    // Prepare: a fast cue with the next speaker 0.3 s after it; one short word alone later on
    const fast = speech(['quick', 'words', 'spoken', 'fast'], { wordSec: 0.1, gap: 0.02 });
    const reply = speech(['yes'], { start: 0.75 });
    const alone = speech(['ok'], { start: 10, wordSec: 0.2 });

    // Act
    const cues = buildCues([
      { speaker: 'A', words: fast },
      { speaker: 'B', words: [...reply, ...alone] },
    ]);

    // Assess
    expect(cues.map((cue) => cue.lines.join(' '))).toEqual(['quick words spoken fast', 'yes', 'ok']);
    expect(cues[0]!.end).toBeCloseTo(0.75 - 0.08, 3);
    expect(cues[2]!.end - cues[2]!.start).toBeCloseTo(DEFAULT_LAYOUT.minDurationSec, 3);
  });

  it('starts a new cue at a pause longer than the rule, and not at a shorter one', () => {
    // Prepare: a 1.0 s pause and a 0.5 s pause
    const first = speech(['before', 'the', 'pause']);
    const second = speech(['after', 'it'], { start: first.at(-1)!.end + 1.0 });
    const third = speech(['and', 'on'], { start: second.at(-1)!.end + 0.5 });
    const all = [...first, ...second, ...third];

    // Act
    const byDefault = buildCues([{ speaker: 'S', words: all }]);
    const strict = buildCues([{ speaker: 'S', words: all }], { ...DEFAULT_LAYOUT, pauseSec: 0.4 });
    const lenient = buildCues([{ speaker: 'S', words: all }], { ...DEFAULT_LAYOUT, pauseSec: 2 });

    // Assess
    expect(byDefault.map((cue) => cue.lines.join(' '))).toEqual(['before the pause', 'after it and on']);
    expect(strict.map((cue) => cue.lines.join(' '))).toEqual(['before the pause', 'after it', 'and on']);
    expect(lenient.map((cue) => cue.lines.join(' '))).toEqual(['before the pause after it and on']);
  });

  it('follows other rules when asked: 32 characters, one line, 4 s at most', () => {
    // Prepare
    const rules: LayoutRules = { ...DEFAULT_LAYOUT, maxLineChars: 32, maxLines: 1, maxDurationSec: 4 };

    // Act
    const cues = buildCues([{ speaker: 'S', words: speech(words(40)) }], rules);

    // Assess
    for (const cue of cues) {
      expect(cue.lines).toHaveLength(1);
      expect((speakerPrefix('S') + cue.lines[0]).length).toBeLessThanOrEqual(32);
      expect(cue.end - cue.start).toBeLessThanOrEqual(4);
    }
  });

  it('refuses rules that would make a useless file, saying which', () => {
    // Act
    const tooNarrow = layoutRulesSchema.safeParse({ maxLineChars: 4 });
    const backwards = layoutRulesSchema.safeParse({ minDurationSec: 3, maxDurationSec: 2 });
    const defaults = layoutRulesSchema.parse({});

    // Assess
    expect(tooNarrow.success).toBe(false);
    expect(tooNarrow.error?.issues[0]?.path).toEqual(['maxLineChars']);
    expect(backwards.error?.issues[0]?.message).toMatch(/minDurationSec must be shorter than maxDurationSec/);
    expect(defaults).toEqual(DEFAULT_LAYOUT);
  });
});
