import * as z from 'zod';
import { errorInfoSchema, pointSchema, relativeBoxSchema } from './common';
import { SPEAKER_ID, UNKNOWN_SPEAKER } from './speaker-ids';

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

/** speech.json: where someone speaks (Silero VAD over the job's 16 kHz audio), written by extract. */
export const speechDocumentSchema = z.object({
  version: z.literal(1),
  model: z.object({ name: z.literal('silero-vad'), sha256: z.string() }),
  sampleRate: z.literal(16000),
  durationSec: z.number().nonnegative(),
  /** Thresholds used, so a reader can tell how the segments were cut. */
  settings: z.object({
    threshold: z.number(),
    minSpeechSec: z.number(),
    minSilenceSec: z.number(),
    padSec: z.number(),
  }),
  /** Sorted, non-overlapping speech intervals in seconds. Empty: no speech. */
  segments: z.array(z.object({ start: z.number().nonnegative(), end: z.number().nonnegative() })),
  speechSec: z.number().nonnegative(),
});
export type SpeechDocument = z.infer<typeof speechDocumentSchema>;

/** speakers.json: LR-ASD's speaking scores per face track and frame, written by the active-speaker step. */
export const activeSpeakersDocumentSchema = z.object({
  version: z.literal(1),
  model: z.object({
    name: z.literal('lr-asd'),
    weights: z.enum(['pretrain_AVA', 'finetuning_TalkSet']),
    sha256: z.string(),
  }),
  fps: z.literal(25),
  tracks: z.array(
    z.object({
      /** The faces.json trackId. */
      trackId: z.string(),
      /** Frame index at fps; time = frame / fps. */
      firstFrame: z.number().int().nonnegative(),
      /** One smoothed LR-ASD logit per frame from firstFrame on (> 0: speaking); null where not scored. */
      scores: z.array(z.number().nullable()),
    }),
  ),
  /** Why some or all tracks were not scored, e.g. 'no speech', 'no audio'. */
  reason: z.string().optional(),
});
export type ActiveSpeakersDocument = z.infer<typeof activeSpeakersDocumentSchema>;

export const WORD_SOURCES = ['audio', 'visual', 'both'] as const;
export type WordSource = (typeof WORD_SOURCES)[number];

export const RESULT_VERSION = '2.0' as const;

export const modalityStatusSchema = z.object({
  status: z.enum(['succeeded', 'failed', 'skipped']),
  reason: z.string().optional(),
  error: errorInfoSchema.optional(),
});
export type ModalityStatus = z.infer<typeof modalityStatusSchema>;

export { SPEAKER_ID, UNKNOWN_SPEAKER } from './speaker-ids';

/** How fuse told who speaks (docs/result-json.md). */
export const SPEAKER_EVIDENCE = ['active-speaker', 'mouth-movement', 'voices'] as const;

export const resultSpeakerSchema = z.object({
  id: z.string().regex(SPEAKER_ID),
  /** The default display name, 'Speaker 1'; names a user gives live in edits, never here. */
  label: z.string(),
  onScreen: z.boolean(),
  /** The face track (faces.json trackId) when on screen. */
  faceId: z.string().optional(),
  /** Transcribe's voice labels joined to this person, e.g. ['spk_0']. */
  voices: z.array(z.string()),
  speakingSec: z.number().nonnegative(),
  /** Mean active-speaker logit over this speaker's words while on screen. */
  meanSpeakingScore: z.number().optional(),
});
export type ResultSpeaker = z.infer<typeof resultSpeakerSchema>;

const speakerRefSchema = z.string().refine((value) => value === UNKNOWN_SPEAKER || SPEAKER_ID.test(value), {
  message: `a speaker id (S1, S2, …) or '${UNKNOWN_SPEAKER}'`,
});

/** result.json: the product's main output (docs/result-json.md). */
export const resultDocumentSchema = z.object({
  version: z.literal(RESULT_VERSION),
  jobId: z.string(),
  source: z.object({ bucket: z.string(), key: z.string() }),
  speakers: z.array(resultSpeakerSchema),
  segments: z.array(
    z.object({
      start: z.number().nonnegative(),
      end: z.number().nonnegative(),
      /** An id from speakers[] or 'unknown'. */
      speaker: speakerRefSchema,
      /** Transcribe's voice label for this segment, when the audio heard it. */
      voice: z.string().optional(),
      text: z.string(),
      confidence: z.number().min(0).max(1),
      audioText: z.string(),
      visualText: z.string(),
      face: z.object({ faceId: z.string(), box: relativeBoxSchema }).optional(),
      /** Mean active-speaker logit of that face over the segment (> 0: speaking). */
      speakingScore: z.number().optional(),
      words: z.array(
        z.object({
          start: z.number().nonnegative(),
          end: z.number().nonnegative(),
          text: z.string(),
          confidence: z.number().min(0).max(1),
          source: z.enum(WORD_SOURCES),
          speaker: speakerRefSchema,
          speakingScore: z.number().optional(),
          /** Set in an export of edited captions: a person corrected this word. */
          edited: z.boolean().optional(),
        }),
      ),
    }),
  ),
  modalities: z.object({
    transcribe: modalityStatusSchema,
    faces: modalityStatusSchema,
    activeSpeakers: modalityStatusSchema,
    lipreading: modalityStatusSchema,
  }),
  /** What told faces and voices apart: LR-ASD scores, the mouth-movement fallback, or voices alone. */
  speakerEvidence: z.enum(SPEAKER_EVIDENCE).optional(),
  /** Voice activity: where someone speaks, when extract found it. */
  speech: z
    .object({
      segments: z.array(z.object({ start: z.number().nonnegative(), end: z.number().nonnegative() })),
      speechSec: z.number().nonnegative(),
    })
    .optional(),
  /** Set when the result is empty on purpose, e.g. 'no speech'. */
  emptyReason: z.string().optional(),
  /**
   * Only in an export of edited captions, never in result.json: the edits version it was made
   * from (jobs/<jobId>/edits/v<N>.json), with names and corrections applied.
   */
  edits: z.object({ version: z.number().int().positive(), savedAt: z.string() }).optional(),
  metrics: z.object({
    durationSec: z.number().nonnegative(),
    words: z.number().int().nonnegative(),
    /** People: on-screen and off-screen speakers. */
    speakers: z.number().int().nonnegative(),
    speechSec: z.number().nonnegative().optional(),
    wer: z
      .object({ audio: z.number().optional(), visual: z.number().optional(), fused: z.number().optional() })
      .optional(),
  }),
});
export type ResultDocument = z.infer<typeof resultDocumentSchema>;

/**
 * Caption edits (issue 17): names given to speakers and corrected captions, saved as
 * jobs/<jobId>/edits/v<N>.json beside the result, which is never rewritten. Every version
 * holds the whole edited state, so any one can be viewed or restored alone. Version 0 is
 * the result as fuse wrote it.
 */
export const EDITS_VERSION = 1 as const;
export const MAX_SPEAKER_NAME_CHARS = 80;
export const MAX_WORD_CHARS = 60;
export const MAX_EDIT_SEGMENTS = 5000;
export const MAX_SEGMENT_WORDS = 400;
export const MAX_EDIT_SUMMARY_CHARS = 200;

/** C0 and C1 controls (line breaks and tabs included), and the bidi overrides that can disguise text. */
// eslint-disable-next-line no-control-regex
const UNSAFE_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;

const safeText = (what: string, max: number) =>
  z
    .string()
    .trim()
    .min(1, `${what} must not be empty`)
    .max(max, `${what} must be at most ${max} characters`)
    .refine((text) => !UNSAFE_CHARACTERS.test(text), {
      message: `${what} must not contain control characters (line breaks, tabs, direction overrides)`,
    });

export const speakerNameSchema = safeText('a speaker name', MAX_SPEAKER_NAME_CHARS);
export const wordTextSchema = safeText('a word', MAX_WORD_CHARS).refine((text) => !/\s/.test(text), {
  message: 'a word must not contain spaces (split it into words)',
});

const seconds = z
  .number()
  .nonnegative()
  .max(24 * 3600);

export const editedWordSchema = z.object({
  start: seconds,
  end: seconds,
  text: wordTextSchema,
  confidence: z.number().min(0).max(1),
  /** Where the word's timing came from; `edited` marks a person's correction. */
  source: z.enum(WORD_SOURCES),
  edited: z.boolean().optional(),
});

export const editedSegmentSchema = z
  .object({
    start: seconds,
    end: seconds,
    speaker: speakerRefSchema,
    words: z
      .array(editedWordSchema)
      .min(1, 'a caption needs at least one word (delete it by merging, or leave a word)')
      .max(MAX_SEGMENT_WORDS),
  })
  .refine((segment) => segment.start <= segment.end, { message: 'a caption must not end before it starts' });

export const speakerNamesSchema = z
  .array(z.object({ id: z.string().regex(SPEAKER_ID, 'must be a speaker id such as S1'), name: speakerNameSchema }))
  .max(200);

export const editsDocumentSchema = z.object({
  version: z.literal(EDITS_VERSION),
  jobId: z.string(),
  /** N of edits/v<N>.json: 1, 2, … */
  number: z.number().int().positive(),
  /** The version it was made on; 0 is the result as fuse wrote it. */
  basedOn: z.number().int().nonnegative(),
  /** Set when this version restores an earlier one. */
  restoredFrom: z.number().int().nonnegative().optional(),
  savedAt: z.string(),
  /** Who saved it: the caller's id (Cognito sub), or `cli`. */
  savedBy: z.string(),
  summary: z.string().max(MAX_EDIT_SUMMARY_CHARS),
  /** Names given to speakers; a speaker not listed keeps result.json's label. */
  speakers: speakerNamesSchema,
  /** The captions after the edits, in time order. */
  segments: z.array(editedSegmentSchema).max(MAX_EDIT_SEGMENTS),
});
export type EditsDocument = z.infer<typeof editsDocumentSchema>;
export type EditedSegment = EditsDocument['segments'][number];
export type EditedWord = EditedSegment['words'][number];
export type SpeakerName = EditsDocument['speakers'][number];
