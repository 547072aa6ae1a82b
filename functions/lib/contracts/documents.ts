import * as z from 'zod';
import { errorInfoSchema, pointSchema, relativeBoxSchema } from './common';

/**
 * Documents written under jobs/<jobId>/ in the processed bucket. Each carries a version
 * so readers can refuse what they do not understand.
 */

/** faces.json: Rekognition's detections, normalised and grouped into tracks. */
export const facesDocumentSchema = z.object({
  version: z.literal(1),
  /** Rekognition samples frames; this is the interval it reported at, in seconds. */
  frameIntervalSec: z.number().nonnegative(),
  durationSec: z.number().nonnegative(),
  detections: z.array(
    z.object({
      time: z.number().nonnegative(),
      trackId: z.string(),
      box: relativeBoxSchema,
      confidence: z.number().min(0).max(1),
      /** Rekognition's Quality.Brightness of the face (0-100), when it reported one. */
      brightness: z.number().min(0).max(100).optional(),
      /** Mouth landmarks in relative units, when Rekognition returned them. */
      mouth: z
        .object({ left: pointSchema, right: pointSchema, up: pointSchema.optional(), down: pointSchema.optional() })
        .optional(),
    }),
  ),
  tracks: z.array(
    z.object({ trackId: z.string(), firstSeen: z.number(), lastSeen: z.number(), detections: z.number().int() }),
  ),
});
export type FacesDocument = z.infer<typeof facesDocumentSchema>;

/** lipreading.json: what the ec2-avhubert server writes for one job. */
export const lipReadingDocumentSchema = z.object({
  version: z.literal(1),
  model: z.object({ name: z.string(), mode: z.enum(['vsr', 'avsr']) }),
  /** Set when there is nothing to read, e.g. 'no_face'. */
  reason: z.string().optional(),
  segments: z.array(
    z.object({
      start: z.number().nonnegative(),
      end: z.number().nonnegative(),
      text: z.string(),
      confidence: z.number().min(0).max(1),
      /** Word times are spread over the segment: a seq2seq model gives no alignment. */
      words: z.array(
        z.object({ start: z.number(), end: z.number(), text: z.string(), confidence: z.number().min(0).max(1) }),
      ),
    }),
  ),
  /** Per-frame mouth opening at `fps`, used by fuse to find the active speaker. */
  mouthOpening: z.object({ fps: z.number().positive(), values: z.array(z.number()) }).optional(),
});
export type LipReadingDocument = z.infer<typeof lipReadingDocumentSchema>;

export const WORD_SOURCES = ['audio', 'visual', 'both'] as const;
export type WordSource = (typeof WORD_SOURCES)[number];

export const RESULT_VERSION = '1.0' as const;

export const modalityStatusSchema = z.object({
  status: z.enum(['succeeded', 'failed', 'skipped']),
  reason: z.string().optional(),
  error: errorInfoSchema.optional(),
});

/** result.json: the product's main output. */
export const resultDocumentSchema = z.object({
  version: z.literal(RESULT_VERSION),
  jobId: z.string(),
  source: z.object({ bucket: z.string(), key: z.string() }),
  segments: z.array(
    z.object({
      start: z.number().nonnegative(),
      end: z.number().nonnegative(),
      speaker: z.string(),
      text: z.string(),
      confidence: z.number().min(0).max(1),
      audioText: z.string(),
      visualText: z.string(),
      face: z.object({ faceId: z.string(), box: relativeBoxSchema }).optional(),
      words: z.array(
        z.object({
          start: z.number().nonnegative(),
          end: z.number().nonnegative(),
          text: z.string(),
          confidence: z.number().min(0).max(1),
          source: z.enum(WORD_SOURCES),
        }),
      ),
    }),
  ),
  modalities: z.object({
    transcribe: modalityStatusSchema,
    faces: modalityStatusSchema,
    lipreading: modalityStatusSchema,
  }),
  metrics: z.object({
    durationSec: z.number().nonnegative(),
    words: z.number().int().nonnegative(),
    speakers: z.number().int().nonnegative(),
    wer: z
      .object({ audio: z.number().optional(), visual: z.number().optional(), fused: z.number().optional() })
      .optional(),
  }),
});
export type ResultDocument = z.infer<typeof resultDocumentSchema>;
