import path from 'node:path';
import { firstLine, runTool } from '../media';

export interface RecognisedWord {
  word: string;
  /** Seconds from the start of the file. */
  start: number;
  end: number;
  /** Pocketsphinx's posterior probability of the word, 0..1. */
  confidence: number;
}

/** One stretch of speech between pauses, as pocketsphinx's voice activity detector cut it. */
export interface Utterance {
  words: RecognisedWord[];
}

export interface PocketsphinxOptions {
  /** Default: `pocketsphinx_continuous` on PATH (Debian's pocketsphinx 0.8). */
  binary?: string;
  /** Holds the acoustic model folder `en-us/`, `en-us.lm.bin` and `cmudict-en-us.dict` (Debian's pocketsphinx-en-us). */
  modelDir?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export const DEFAULT_MODEL_DIR = '/usr/share/pocketsphinx/model/en-us';

/** `<s>`, `</s>`, `<sil>`, `[NOISE]`, `++UH++`: markers and fillers, not words. */
const FILLER = /^(<.*>|\[.*\]|\+\+.*\+\+)$/;
/** `to(3)`: the dictionary's third pronunciation of "to". */
const PRONUNCIATION_VARIANT = /\(\d+\)$/;
const WORD_LINE = /^(\S+) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?) (-?\d+(?:\.\d+)?(?:e-?\d+)?)$/;

/**
 * Recognises speech in a 16 kHz mono 16-bit wav with pocketsphinx_continuous and its generic
 * US English language model. Rejects when pocketsphinx cannot read the file.
 */
export async function recognise(wavPath: string, options: PocketsphinxOptions = {}): Promise<Utterance[]> {
  const modelDir = options.modelDir ?? process.env.POCKETSPHINX_MODEL_DIR ?? DEFAULT_MODEL_DIR;
  const binary = options.binary ?? process.env.POCKETSPHINX_BIN ?? 'pocketsphinx_continuous';
  const { code, stdout, stderr } = await runTool(
    binary,
    [
      ...['-infile', wavPath, '-time', 'yes', '-logfn', '/dev/null'],
      ...['-hmm', path.join(modelDir, 'en-us'), '-lm', path.join(modelDir, 'en-us.lm.bin')],
      ...['-dict', path.join(modelDir, 'cmudict-en-us.dict')],
    ],
    { signal: options.signal, timeoutMs: options.timeoutMs ?? 600_000 },
  );
  if (code !== 0) {
    throw new Error(`pocketsphinx could not read the audio (exit ${code}${stderr ? `: ${firstLine(stderr)}` : ''})`);
  }
  return parsePocketsphinxOutput(stdout);
}

/**
 * With `-time yes`, pocketsphinx prints each utterance as its hypothesis line followed by one
 * `word start end posterior` line per segment, times in seconds from the start of the file.
 */
export function parsePocketsphinxOutput(stdout: string): Utterance[] {
  const utterances: Utterance[] = [];
  let current: RecognisedWord[] | null = null;
  const close = () => {
    if (current && current.length > 0) utterances.push({ words: current });
    current = null;
  };
  for (const raw of stdout.split('\n')) {
    const line = raw.trim();
    const match = WORD_LINE.exec(line);
    if (!match) {
      // A hypothesis line (or an empty one for an utterance with no words) opens the next utterance.
      close();
      continue;
    }
    const [, token = '', start = '0', end = '0', posterior = '0'] = match;
    if (token === '<s>') close();
    current ??= [];
    if (FILLER.test(token)) continue;
    current.push({
      word: token.replace(PRONUNCIATION_VARIANT, ''),
      start: Number(start),
      end: Math.max(Number(start), Number(end)),
      confidence: Math.min(1, Math.max(0, Number(posterior))),
    });
  }
  close();
  return utterances;
}
