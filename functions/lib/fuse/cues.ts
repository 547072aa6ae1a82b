import { PAUSE_SEC } from './segments';
import type { TimedWord } from './words';

export const MAX_LINE_CHARS = 42;
export const MAX_LINES = 2;
export const MAX_CUE_SEC = 7;
/** Cues get at least this long on screen so no cue has zero length. */
const MIN_CUE_SEC = 0.1;

export interface CaptionCue {
  start: number;
  end: number;
  /** The speaker's display name, e.g. 'Speaker 1'. */
  speaker: string;
  lines: string[];
}

export interface CaptionBlock {
  /** The speaker's display name, e.g. 'Speaker 1'. */
  speaker: string;
  words: readonly TimedWord[];
}

/**
 * The visible name on the first cue after a change of speaker: browsers do not show WebVTT
 * voice names, and SRT has none. Every cue leaves room for it so the layout never depends
 * on the cue before.
 */
export const speakerPrefix = (speaker: string) => `${speaker}: `;

/** Greedy wrap; the first line leaves room for the speaker prefix. Undefined when it does not fit. */
export function layoutLines(texts: readonly string[], firstLineIndent: number): string[] | undefined {
  const lines: string[] = [];
  let line = '';
  for (const text of texts) {
    const budget = MAX_LINE_CHARS - (lines.length === 0 ? firstLineIndent : 0);
    const candidate = line ? `${line} ${text}` : text;
    if (candidate.length <= budget || !line) {
      line = candidate;
    } else {
      lines.push(line);
      line = text;
    }
  }
  if (line) lines.push(line);
  const fits =
    lines.length <= MAX_LINES &&
    lines.every((text, index) => text.length <= MAX_LINE_CHARS - (index === 0 ? firstLineIndent : 0));
  return fits ? lines : undefined;
}

/**
 * Cues of at most two lines of 42 characters and at most 7 s. A block (one speaker)
 * never shares a cue with another, and a pause starts a new cue. A single word too long
 * for a line still gets its own cue.
 */
export function buildCues(blocks: readonly CaptionBlock[]): CaptionCue[] {
  const cues: CaptionCue[] = [];
  for (const block of blocks) {
    const indent = speakerPrefix(block.speaker).length;
    let words: TimedWord[] = [];
    const flush = () => {
      const [first] = words;
      const last = words.at(-1);
      if (!first || !last) return;
      const start = first.start;
      const end = Math.min(Math.max(last.end, start + MIN_CUE_SEC), start + MAX_CUE_SEC);
      const texts = words.map((word) => word.text);
      cues.push({ start, end, speaker: block.speaker, lines: layoutLines(texts, indent) ?? [texts.join(' ')] });
      words = [];
    };
    for (const word of block.words) {
      const first = words[0];
      const last = words.at(-1);
      const breaks =
        first !== undefined &&
        last !== undefined &&
        (word.start - last.end > PAUSE_SEC ||
          word.end - first.start > MAX_CUE_SEC ||
          !layoutLines(
            [...words, word].map((w) => w.text),
            indent,
          ));
      if (breaks) flush();
      words.push(word);
    }
    flush();
  }
  return cues.sort((a, b) => a.start - b.start);
}
