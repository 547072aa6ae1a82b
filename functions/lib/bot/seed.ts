import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isLanguage } from './model';
import type { SentenceStore } from './ports';
import { newSentence, parseSentenceLines } from './sentences';

/** data/sentences/<name>.<language>.txt: one sentence per line. */
export async function seedSentencesFromDir(
  dir: string,
  store: Pick<SentenceStore, 'addIfAbsent'>,
  now: Date,
): Promise<{ added: number; existing: number; rejected: string[] }> {
  const totals = { added: 0, existing: 0, rejected: [] as string[] };
  for (const file of readdirSync(dir).sort()) {
    const language = /\.([a-z]{2})\.txt$/.exec(file)?.[1];
    if (!isLanguage(language)) continue;
    const { accepted, rejected } = parseSentenceLines(readFileSync(path.join(dir, file), 'utf8'));
    totals.rejected.push(...rejected.map((line) => `${file}: ${line}`));
    for (const text of accepted) {
      if (await store.addIfAbsent(newSentence(language, text, `seed:${file}`, now))) totals.added += 1;
      else totals.existing += 1;
    }
  }
  return totals;
}
