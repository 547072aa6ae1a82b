import * as z from 'zod';
import { relativeBoxSchema } from '../contracts/common';

/**
 * Just the parts of the pipeline's documents that the quality check reads, parsed leniently
 * so a reader of result.json 1.0 and 2.0 alike. The shapes follow /work/plan/contracts.md:
 * speech.json (voice activity) and speakers.json (active speaker scores).
 */

export const speechFactsSchema = z.object({
  version: z.literal(1),
  durationSec: z.number().nonnegative(),
  segments: z.array(z.object({ start: z.number().nonnegative(), end: z.number().nonnegative() })),
  speechSec: z.number().nonnegative(),
});
export type SpeechFacts = z.infer<typeof speechFactsSchema>;

export const activeSpeakerFactsSchema = z.object({
  version: z.literal(1),
  fps: z.number().positive(),
  tracks: z.array(
    z.object({
      trackId: z.string(),
      firstFrame: z.number().int().nonnegative(),
      scores: z.array(z.number().nullable()),
    }),
  ),
  reason: z.string().optional(),
});
export type ActiveSpeakerFacts = z.infer<typeof activeSpeakerFactsSchema>;

const modalitySchema = z.looseObject({
  status: z.enum(['succeeded', 'failed', 'skipped']),
  reason: z.string().optional(),
});

export const resultFactsSchema = z.looseObject({
  version: z.string(),
  segments: z.array(z.looseObject({ audioText: z.string(), text: z.string() })),
  modalities: z.looseObject({ transcribe: modalitySchema, faces: modalitySchema }),
  /** result.json 2.0: people, each with how long they spoke. */
  speakers: z
    .array(z.looseObject({ id: z.string(), onScreen: z.boolean(), speakingSec: z.number().nonnegative() }))
    .optional(),
  emptyReason: z.string().optional(),
});
export type ResultFacts = z.infer<typeof resultFactsSchema>;

export const faceFactsSchema = z.object({
  version: z.literal(1),
  frameIntervalSec: z.number().nonnegative(),
  durationSec: z.number().nonnegative(),
  detections: z.array(
    z.looseObject({
      time: z.number().nonnegative(),
      trackId: z.string(),
      box: relativeBoxSchema,
      /** Rekognition's Quality.Brightness (0-100), when recorded. */
      brightness: z.number().min(0).max(100).optional(),
    }),
  ),
});
export type FaceFacts = z.infer<typeof faceFactsSchema>;
