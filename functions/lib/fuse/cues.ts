import { PAUSE_SEC } from './segments';

/**
 * Caption layout by the broadcast rules (Netflix's English timed-text style guide, the BBC
 * subtitle guidelines): at most 42 characters a line and 2 lines a cue, a reading speed of
 * about 17 characters a second, cues on screen between 5/6 s and 7 s, and a new cue after a
 * pause. Every track (fused, speech only, lip reading) and every download follows them.
 */
export interface LayoutRules {
  maxLineChars: number;
  maxLines: number;
  /** Reading speed: a cue stays up at least its characters / this many seconds, time allowing. */
  maxCharsPerSec: number;
  minDurationSec: number;
  maxDurationSec: number;
  /** A silence longer than this starts a new cue. */
  pauseSec: number;
}

export const DEFAULT_LAYOUT: Readonly<LayoutRules> = Object.freeze({
  maxLineChars: 42,
  maxLines: 2,
  maxCharsPerSec: 17,
  minDurationSec: 0.833,
  maxDurationSec: 7,
  pauseSec: PAUSE_SEC,
});

export const MAX_LINE_CHARS = DEFAULT_LAYOUT.maxLineChars;
export const MAX_LINES = DEFAULT_LAYOUT.maxLines;
export const MAX_CUE_SEC = DEFAULT_LAYOUT.maxDurationSec;
/** No cue has zero length, even squeezed between two others. */
const MIN_VISIBLE_SEC = 0.1;
/** Two frames at 25 fps between a lengthened cue and the next, so they never touch. */
const CUE_GAP_SEC = 0.08;

export interface CaptionCue {
  start: number;
  end: number;
  /** The speaker's display name, e.g. 'Speaker 1'. */
  speaker: string;
  lines: string[];
}

/** What layout needs of a word. */
export interface CueWord {
  start: number;
  end: number;
  text: string;
}

export interface CaptionBlock {
  /** The speaker's display name, e.g. 'Speaker 1'. */
  speaker: string;
  words: readonly CueWord[];
}

/**
 * The visible name on the first cue after a change of speaker: browsers do not show WebVTT
 * voice names, and SRT has none. Every cue leaves room for it so the layout never depends
 * on the cue before.
 */
export const speakerPrefix = (speaker: string) => `${speaker}: `;

/** Greedy wrap; the first line leaves room for the speaker prefix. Undefined when it does not fit. */
export function layoutLines(
  texts: readonly string[],
  firstLineIndent: number,
  rules: Pick<LayoutRules, 'maxLineChars' | 'maxLines'> = DEFAULT_LAYOUT,
): string[] | undefined {
  const budgetOf = (index: number) => rules.maxLineChars - (index === 0 ? firstLineIndent : 0);
  const lines: string[] = [];
  let line = '';
  for (const text of texts) {
    const candidate = line ? `${line} ${text}` : text;
    if (candidate.length <= budgetOf(lines.length) || !line) {
      line = candidate;
    } else {
      lines.push(line);
      line = text;
    }
  }
  if (line) lines.push(line);
  const fits = lines.length <= rules.maxLines && lines.every((text, index) => text.length <= budgetOf(index));
  return fits ? lines : undefined;
}

/** A speaker's prefix can never take more than half a line, so a long name still leaves room for words. */
const indentOf = (speaker: string, rules: LayoutRules) =>
  Math.min(speakerPrefix(speaker).length, Math.floor(rules.maxLineChars / 2));

/**
 * Cues by the layout rules. A block (one speaker's turn) never shares a cue with another, a
 * pause starts a new cue, and so does a cue that would grow past its lines or its longest
 * duration. A single word too long for a line still gets its own cue. Then each cue stays up
 * long enough to be read (characters / reading speed, and the shortest duration), as far as
 * the next cue and the longest duration allow.
 */
export function buildCues(blocks: readonly CaptionBlock[], rules: LayoutRules = DEFAULT_LAYOUT): CaptionCue[] {
  const cues: CaptionCue[] = [];
  for (const block of blocks) {
    const indent = indentOf(block.speaker, rules);
    let words: CueWord[] = [];
    const flush = () => {
      const [first] = words;
      const last = words.at(-1);
      if (!first || !last) return;
      const start = first.start;
      const end = Math.min(Math.max(last.end, start), start + rules.maxDurationSec);
      const texts = words.map((word) => word.text);
      cues.push({ start, end, speaker: block.speaker, lines: layoutLines(texts, indent, rules) ?? [texts.join(' ')] });
      words = [];
    };
    for (const word of block.words) {
      if (!word.text.trim()) continue;
      const first = words[0];
      const last = words.at(-1);
      const breaks =
        first !== undefined &&
        last !== undefined &&
        (word.start - last.end > rules.pauseSec ||
          word.end - first.start > rules.maxDurationSec ||
          !layoutLines(
            [...words, word].map((w) => w.text),
            indent,
            rules,
          ));
      if (breaks) flush();
      words.push(word);
    }
    flush();
  }
  cues.sort((a, b) => a.start - b.start);
  return lengthenForReading(cues, rules);
}

/** Characters a viewer reads in a cue (the speaker prefix, which shows only at a change, is not counted). */
export const cueCharacters = (cue: Pick<CaptionCue, 'lines'>) => cue.lines.join(' ').length;

function lengthenForReading(cues: CaptionCue[], rules: LayoutRules): CaptionCue[] {
  return cues.map((cue, index) => {
    const next = cues[index + 1];
    const wanted = Math.max(
      cue.end,
      cue.start + rules.minDurationSec,
      cue.start + cueCharacters(cue) / rules.maxCharsPerSec,
    );
    const limit = Math.min(cue.start + rules.maxDurationSec, next ? next.start - CUE_GAP_SEC : Infinity);
    const end = Math.max(cue.end, Math.min(wanted, limit), cue.start + MIN_VISIBLE_SEC);
    return { ...cue, end: Math.round(end * 1000) / 1000 };
  });
}
