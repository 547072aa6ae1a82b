import type { ModelManifest } from './manifest';

const WORD_BOUNDARY = '\u2581'; // SentencePiece's '▁'

export class Vocabulary {
  private readonly skipped: Set<number>;

  constructor(
    readonly pieces: readonly string[],
    specialIds: ModelManifest['specialIds'],
    extraSkipped: number[] = [],
  ) {
    this.skipped = new Set([specialIds.bos, specialIds.pad, specialIds.eos, ...extraSkipped]);
  }

  get size(): number {
    return this.pieces.length;
  }

  /** Joins pieces the SentencePiece way: '▁' starts a word. Control ids are dropped. */
  detokenize(tokens: readonly number[]): string {
    const text = tokens
      .filter((token) => !this.skipped.has(token))
      .map((token) => this.pieces[token] ?? '')
      .join('');
    return text.split(WORD_BOUNDARY).join(' ').replace(/\s+/g, ' ').trim();
  }
}

/** vocab.txt: one piece per line, id = line index; a trailing newline is not a piece. */
export function parseVocabulary(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}
