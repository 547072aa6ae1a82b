import type { LipReadingDocument } from '../../../functions/lib/contracts/documents';
import { lipReadingDocumentSchema } from '../../../functions/lib/contracts/documents';

export interface ReadChunk {
  start: number;
  end: number;
  text: string;
  confidence: number;
}

const clamp01 = (value: number) => (Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0);
const round = (value: number, digits: number) => Number(value.toFixed(digits));

/**
 * Builds lipreading.json. A seq2seq model gives no word timing, so each segment's words
 * share its time evenly and carry its confidence.
 */
export function buildLipReadingDocument(input: {
  model: { name: string; mode: 'vsr' | 'avsr' };
  chunks: ReadChunk[];
  mouthOpening?: { fps: number; values: ArrayLike<number> };
  reason?: string;
}): LipReadingDocument {
  const segments = input.chunks
    .map((chunk) => ({ ...chunk, text: chunk.text.trim().replace(/\s+/g, ' ') }))
    .filter((chunk) => chunk.text.length > 0 && chunk.end > chunk.start)
    .map((chunk) => {
      const confidence = round(clamp01(chunk.confidence), 4);
      const words = chunk.text.split(' ');
      const step = (chunk.end - chunk.start) / words.length;
      return {
        start: round(chunk.start, 3),
        end: round(chunk.end, 3),
        text: chunk.text,
        confidence,
        words: words.map((text, index) => ({
          start: round(chunk.start + index * step, 3),
          end: round(chunk.start + (index + 1) * step, 3),
          text,
          confidence,
        })),
      };
    });
  const document: LipReadingDocument = {
    version: 1,
    model: { name: input.model.name, mode: input.model.mode },
    ...(input.reason ? { reason: input.reason } : {}),
    segments,
    ...(input.mouthOpening
      ? {
          mouthOpening: {
            fps: input.mouthOpening.fps,
            values: Array.from(input.mouthOpening.values, (value) => (Number.isFinite(value) ? round(value, 4) : 0)),
          },
        }
      : {}),
  };
  // The contract is checked on the way out, so a bad document never reaches fuse.
  return lipReadingDocumentSchema.parse(document);
}
