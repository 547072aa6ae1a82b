/**
 * `gorggle eval <dir>`: runs every clip a transcripts.tsv names through the pipeline with
 * its reference, and reports word error rates for audio, visual and fused text: per clip
 * and over the corpus (errors summed over reference words).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { normaliseText } from '../../functions/lib/fuse/words';
import type { GorggleClient } from './gorggle-client';
import { processVideo, type ProcessedVideo } from './process-video';

export interface ReferenceClip {
  file: string;
  reference: string;
}

/** `file<TAB>reference` per line, with an optional `file reference` header. */
export function parseTranscriptsTsv(text: string): ReferenceClip[] {
  const clips: ReferenceClip[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    if (!line.trim() || line.startsWith('#')) return;
    const tab = line.indexOf('\t');
    if (tab < 0) throw new Error(`transcripts.tsv line ${index + 1} has no tab between the file and its reference.`);
    const file = line.slice(0, tab).trim();
    const reference = line.slice(tab + 1).trim();
    if (index === 0 && file === 'file' && reference === 'reference') return;
    if (!file || !reference) throw new Error(`transcripts.tsv line ${index + 1} lacks a file or a reference.`);
    clips.push({ file, reference });
  });
  return clips;
}

export async function readTranscripts(dir: string): Promise<ReferenceClip[]> {
  const file = path.join(dir, 'transcripts.tsv');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new Error(`${file} is missing: put one line per clip there, "<file>\\t<reference transcript>".`);
  }
  return parseTranscriptsTsv(text);
}

export const MODALITY_RATES = ['audio', 'visual', 'fused'] as const;
type Rates = Partial<Record<(typeof MODALITY_RATES)[number], number>>;

export interface EvaluatedClip {
  file: string;
  reference: string;
  jobId?: string;
  status: string;
  wer: Rates;
  wallSeconds?: number;
  error?: string;
}

export interface Evaluation {
  clips: EvaluatedClip[];
  /** Errors over reference words, across the clips that have the rate. */
  corpus: Rates;
}

/** Runs `limit` at a time (they share the stack's CPU). */
async function mapLimit<T, R>(items: readonly T[], limit: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await run(items[index] as T);
    }
  });
  await Promise.all(workers);
  return results;
}

export async function evaluateDirectory(
  client: GorggleClient,
  dir: string,
  options: { concurrency?: number; timeoutMs?: number; onClip?: (clip: EvaluatedClip) => void } = {},
): Promise<Evaluation> {
  const references = await readTranscripts(dir);
  const clips = await mapLimit(references, options.concurrency ?? 4, async ({ file, reference }) => {
    let clip: EvaluatedClip;
    try {
      const processed: ProcessedVideo = await processVideo(client, path.join(dir, file), {
        reference,
        timeoutMs: options.timeoutMs,
      });
      clip = {
        file,
        reference,
        jobId: processed.uploaded.jobId,
        status: processed.snapshot.job?.status ?? 'UNKNOWN',
        wer: processed.result?.metrics.wer ?? {},
        wallSeconds: processed.wallSeconds,
        ...(processed.snapshot.job?.error ? { error: processed.snapshot.job.error.message } : {}),
      };
    } catch (error) {
      clip = { file, reference, status: 'ERROR', wer: {}, error: (error as Error).message };
    }
    options.onClip?.(clip);
    return clip;
  });
  return { clips, corpus: corpusRates(clips) };
}

export function corpusRates(clips: readonly EvaluatedClip[]): Rates {
  const corpus: Rates = {};
  for (const modality of MODALITY_RATES) {
    let errors = 0;
    let words = 0;
    for (const clip of clips) {
      const rate = clip.wer[modality];
      if (rate === undefined) continue;
      const referenceWords = normaliseText(clip.reference).length;
      errors += rate * referenceWords;
      words += referenceWords;
    }
    if (words > 0) corpus[modality] = Math.round((errors / words) * 10_000) / 10_000;
  }
  return corpus;
}

export function formatEvaluation(evaluation: Evaluation): string {
  const rate = (value: number | undefined) => (value === undefined ? 'n/a' : value.toFixed(3)).padStart(8);
  const lines = [
    `${'clip'.padEnd(16)}${'status'.padEnd(11)}${'audio'.padStart(8)}${'visual'.padStart(8)}${'fused'.padStart(8)}`,
  ];
  for (const clip of evaluation.clips) {
    lines.push(
      `${clip.file.padEnd(16)}${clip.status.padEnd(11)}${rate(clip.wer.audio)}${rate(clip.wer.visual)}${rate(clip.wer.fused)}` +
        (clip.error ? `  ${clip.error}` : ''),
    );
  }
  const { corpus } = evaluation;
  lines.push(`${'corpus WER'.padEnd(27)}${rate(corpus.audio)}${rate(corpus.visual)}${rate(corpus.fused)}`);
  return lines.join('\n');
}
