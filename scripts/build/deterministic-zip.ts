import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';

export interface ZipEntry {
  zipPath: string;
  source: string;
  mode: number;
}

/** A fixed timestamp and sorted entries: the same inputs always give the same bytes. */
const EPOCH = new Date('2000-01-01T00:00:00Z');

export async function writeDeterministicZip(target: string, entries: ZipEntry[]): Promise<void> {
  const zip = new yazl.ZipFile();
  const sorted = [...entries].sort((a, b) => a.zipPath.localeCompare(b.zipPath));
  for (const entry of sorted) {
    zip.addBuffer(await readFile(entry.source), entry.zipPath, {
      mtime: EPOCH,
      mode: entry.mode,
      compress: true,
      forceZip64Format: false,
    });
  }
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(target));
}
