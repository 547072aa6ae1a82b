import { escapeVttText, toSrt, toWebVtt } from '../../../functions/lib/fuse/captions';
import { MAX_CUE_SEC, MAX_LINE_CHARS, MAX_LINES, buildCues, speakerPrefix } from '../../../functions/lib/fuse/cues';
import type { TimedWord } from '../../../functions/lib/fuse/words';

/** Words spoken back to back, `gap` seconds apart. */
function monologue(texts: string[], wordSec = 0.32, gap = 0.08, start = 0): TimedWord[] {
  return texts.map((text, index) => ({
    text,
    confidence: 0.9,
    start: start + index * (wordSec + gap),
    end: start + index * (wordSec + gap) + wordSec,
  }));
}

describe('buildCues', () => {
  it('splits a long monologue into cues of at most 7 s and 2 lines of 42 characters', () => {
    // Prepare: 90 words, 36 s without a pause
    const vocabulary = ['the', 'quick', 'extraordinarily', 'brown', 'fox', 'jumps', 'over', 'a', 'lazy', 'dog'];
    const texts = Array.from({ length: 90 }, (_, index) => vocabulary[index % vocabulary.length]!);
    const speaker = 'spk_0';

    // Act
    const cues = buildCues([{ speaker, words: monologue(texts) }]);

    // Assess
    expect(cues.length).toBeGreaterThan(5);
    for (const cue of cues) {
      expect(cue.end - cue.start).toBeLessThanOrEqual(MAX_CUE_SEC);
      expect(cue.lines.length).toBeLessThanOrEqual(MAX_LINES);
      const [first, ...rest] = cue.lines;
      expect((speakerPrefix(speaker) + first).length).toBeLessThanOrEqual(MAX_LINE_CHARS);
      for (const line of rest) expect(line.length).toBeLessThanOrEqual(MAX_LINE_CHARS);
    }
    expect(cues.flatMap((cue) => cue.lines.join(' ').split(' '))).toEqual(texts);
    for (let index = 1; index < cues.length; index++) {
      expect(cues[index]!.start).toBeGreaterThanOrEqual(cues[index - 1]!.end);
    }
  });

  it('starts a new cue after a pause and when the speaker changes', () => {
    // Prepare
    const first = monologue(['are', 'you', 'there']);
    const afterPause = monologue(['hello'], 0.3, 0, 3);
    const reply = monologue(['yes', 'I', 'am'], 0.3, 0.05, 3.4);

    // Act
    const cues = buildCues([
      { speaker: 'spk_0', words: [...first, ...afterPause] },
      { speaker: 'spk_1', words: reply },
    ]);

    // Assess
    expect(cues.map((cue) => [cue.speaker, cue.lines.join(' ')])).toEqual([
      ['spk_0', 'are you there'],
      ['spk_0', 'hello'],
      ['spk_1', 'yes I am'],
    ]);
  });
});

describe('caption writers', () => {
  const cues = [
    { start: 0.5, end: 2.25, speaker: 'spk_0', lines: ['<script>alert("x")</script>', 'Tom & Jerry'] },
    { start: 3661.001, end: 3662.5, speaker: 'spk_1', lines: ['a > b'] },
  ];

  it('escapes markup in WebVTT text and names the speaker in a voice tag', () => {
    // Act
    const vtt = toWebVtt(cues);

    // Assess
    expect(vtt).toBe(
      [
        'WEBVTT',
        '',
        '1',
        '00:00:00.500 --> 00:00:02.250',
        '<v spk_0>&lt;script&gt;alert("x")&lt;/script&gt;',
        'Tom &amp; Jerry',
        '',
        '2',
        '01:01:01.001 --> 01:01:02.500',
        '<v spk_1>a &gt; b',
        '',
      ].join('\n'),
    );
    expect(vtt).not.toContain('<script>');
  });

  it('escapes ampersands before angle brackets, so nothing is escaped twice', () => {
    expect(escapeVttText('&lt; <')).toBe('&amp;lt; &lt;');
  });

  it('writes SRT with comma milliseconds and a [speaker] prefix', () => {
    // Act
    const srt = toSrt(cues);

    // Assess
    expect(srt).toBe(
      [
        '1',
        '00:00:00,500 --> 00:00:02,250',
        '[spk_0] <script>alert("x")</script>',
        'Tom & Jerry',
        '',
        '2',
        '01:01:01,001 --> 01:01:02,500',
        '[spk_1] a > b',
        '',
      ].join('\n'),
    );
  });
});
