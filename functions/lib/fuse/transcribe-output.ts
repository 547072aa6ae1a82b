import * as z from 'zod';
import type { AudioWord } from './words';

/** Transcribe writes numbers as strings ("4.87"); accept both. */
const numeric = z.union([z.string(), z.number()]).transform((value, context) => {
  const parsed = typeof value === 'number' ? value : Number.parseFloat(value);
  if (!Number.isFinite(parsed)) {
    context.addIssue({ code: 'custom', message: `not a number: ${String(value)}` });
    return z.NEVER;
  }
  return parsed;
});

/** The parts of Amazon Transcribe's batch output that fuse reads; the rest is ignored. */
export const transcribeOutputSchema = z.object({
  results: z.object({
    transcripts: z.array(z.object({ transcript: z.string() })).default([]),
    items: z.array(
      z.object({
        type: z.enum(['pronunciation', 'punctuation']),
        start_time: numeric.optional(),
        end_time: numeric.optional(),
        speaker_label: z.string().optional(),
        alternatives: z.array(z.object({ content: z.string(), confidence: numeric.optional() })).min(1),
      }),
    ),
    speaker_labels: z
      .object({
        segments: z.array(z.object({ start_time: numeric, end_time: numeric, speaker_label: z.string() })).default([]),
      })
      .optional(),
  }),
});
export type TranscribeOutput = z.infer<typeof transcribeOutputSchema>;

/** Used when Transcribe ran without speaker labels. */
export const DEFAULT_SPEAKER = 'spk_0';

/**
 * Words in time order, each with its speaker. Punctuation is glued to the word before it
 * so captions read naturally; comparisons normalise it away. Older output has speaker
 * labels only in speaker_labels.segments, so those are the fallback.
 */
export function audioWordsFromTranscribe(output: TranscribeOutput): AudioWord[] {
  const speakerSegments = output.results.speaker_labels?.segments ?? [];
  const speakerAt = (time: number) =>
    speakerSegments.find((segment) => time >= segment.start_time - 1e-6 && time <= segment.end_time + 1e-6)
      ?.speaker_label;

  const words: AudioWord[] = [];
  for (const item of output.results.items) {
    const [best] = item.alternatives;
    if (!best) continue;
    if (item.type === 'punctuation') {
      const previous = words.at(-1);
      if (previous) previous.text += best.content;
      continue;
    }
    if (item.start_time === undefined || item.end_time === undefined || !best.content.trim()) continue;
    words.push({
      start: item.start_time,
      end: Math.max(item.start_time, item.end_time),
      text: best.content.trim(),
      confidence: Math.min(1, Math.max(0, best.confidence ?? 0)),
      speaker: item.speaker_label ?? speakerAt(item.start_time) ?? DEFAULT_SPEAKER,
    });
  }
  return words.sort((a, b) => a.start - b.start);
}
