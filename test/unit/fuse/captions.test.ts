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
    const speaker = 'Speaker 1';

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
    { start: 0.5, end: 2.25, speaker: 'Speaker 1', lines: ['<script>alert("x")</script>', 'Tom & Jerry'] },
    { start: 2.5, end: 3, speaker: 'Speaker 1', lines: ['again'] },
    { start: 3661.001, end: 3662.5, speaker: '<Ann> & Bob', lines: ['a > b'] },
  ];

  it('escapes markup, names the speaker in a voice span on every cue and visibly where the speaker changes', () => {
    // Act
    const vtt = toWebVtt(cues);

    // Assess
    expect(vtt).toBe(
      [
        'WEBVTT',
        '',
        '1',
        '00:00:00.500 --> 00:00:02.250',
        '<v Speaker 1>Speaker 1: &lt;script&gt;alert("x")&lt;/script&gt;',
        'Tom &amp; Jerry',
        '',
        '2',
        '00:00:02.500 --> 00:00:03.000',
        '<v Speaker 1>again',
        '',
        '3',
        '01:01:01.001 --> 01:01:02.500',
        '<v _Ann_ _ Bob>&lt;Ann&gt; &amp; Bob: a &gt; b',
        '',
      ].join('\n'),
    );
    expect(vtt).not.toContain('<script>');
  });

  it('writes NOTE blocks after the header, never a cue timing inside one', () => {
    // Act
    const vtt = toWebVtt(cues.slice(1, 2), ['made by a stand-in --> not real']);

    // Assess
    expect(vtt.split('\n\n').slice(0, 2)).toEqual(['WEBVTT', 'NOTE made by a stand-in -> not real']);
  });

  it('escapes ampersands before angle brackets, so nothing is escaped twice', () => {
    expect(escapeVttText('&lt; <')).toBe('&amp;lt; &lt;');
  });

  it('writes SRT with comma milliseconds and the name where the speaker changes', () => {
    // Act
    const srt = toSrt(cues);

    // Assess
    expect(srt).toBe(
      [
        '1',
        '00:00:00,500 --> 00:00:02,250',
        'Speaker 1: <script>alert("x")</script>',
        'Tom & Jerry',
        '',
        '2',
        '00:00:02,500 --> 00:00:03,000',
        'again',
        '',
        '3',
        '01:01:01,001 --> 01:01:02,500',
        '<Ann> & Bob: a > b',
        '',
      ].join('\n'),
    );
  });
});
