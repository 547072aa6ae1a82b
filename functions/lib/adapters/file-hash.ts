import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** The sha256 of a small file (a model), read once when a function loads it. */
export function sha256OfFileSync(filePath: string): string {
  return createHash('sha256').update(readFileSync(filePath)).digest('hex');
}
