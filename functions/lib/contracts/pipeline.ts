import * as z from 'zod';
import { errorInfoSchema, s3RefSchema } from './common';

/**
 * Payloads that travel between states. They carry S3 references and small facts only,
 * never transcripts or frames (the 256 KB state limit).
 */

export const STAGES = ['extract', 'transcribe', 'faces', 'lipreading', 'fuse'] as const;
export type Stage = (typeof STAGES)[number];

export const MODALITIES = ['transcribe', 'faces', 'lipreading'] as const;
export type Modality = (typeof MODALITIES)[number];

/** The execution input that start-pipeline sends. */
export const pipelineInputSchema = z.object({
  jobId: z.string().regex(/^[A-Za-z0-9_-]{1,80}$/),
  source: z.object({
    bucket: z.string().min(1),
    key: z.string().min(1),
    versionId: z.string().optional(),
    etag: z.string(),
    size: z.number().int().nonnegative(),
  }),
  kind: z.enum(['upload', 'contribution']),
  /** A reference transcript for WER, from the object's metadata when given. */
  reference: z.string().optional(),
  /** The Transcribe language of this upload (metadata `transcribe-language`), else the deployment's. */
  language: z
    .string()
    .regex(/^[a-z]{2,3}-[A-Z]{2}$/)
    .optional(),
  /** Duration limits of this upload (the bot's, for contributions), enforced after probing. */
  limits: z
    .object({ minDurationSec: z.number().nonnegative().optional(), maxDurationSec: z.number().positive().optional() })
    .optional(),
});
export type PipelineInput = z.infer<typeof pipelineInputSchema>;

/** What extract returns (ResultPath $.media). */
export const mediaFactsSchema = z.object({
  durationSec: z.number().nonnegative(),
  hasAudio: z.boolean(),
  hasVideo: z.boolean(),
  width: z.number().int().nonnegative(),
  height: z.number().int().nonnegative(),
  fps: z.number().nonnegative(),
  audio: s3RefSchema.optional(),
  video: s3RefSchema.optional(),
  poster: s3RefSchema.optional(),
  probe: s3RefSchema,
  /** Voice activity (speech.json); absent when the media has no audio stream. */
  speech: z.object({ output: s3RefSchema, segments: z.number().int(), speechSec: z.number() }).optional(),
});
export type MediaFacts = z.infer<typeof mediaFactsSchema>;

/** The state every task after extract sees. */
export const analysedInputSchema = pipelineInputSchema.extend({ media: mediaFactsSchema });
export type AnalysedInput = z.infer<typeof analysedInputSchema>;

/** The ActiveSpeaker task's outcome; its failure never fails the faces branch. */
export const activeSpeakersStepSchema = z.object({
  status: z.enum(['succeeded', 'failed', 'skipped']),
  output: s3RefSchema.optional(),
  reason: z.string().optional(),
  error: errorInfoSchema.optional(),
});
export type ActiveSpeakersStep = z.infer<typeof activeSpeakersStepSchema>;

/**
 * One asynchronous branch (transcribe, faces, lipreading) between its start and check
 * steps. `running` loops through a Wait; the Choice state ends the loop at maxAttempts.
 */
export const branchStateSchema = z.object({
  modality: z.enum(MODALITIES),
  status: z.enum(['running', 'succeeded', 'failed', 'skipped']),
  /** Provider handle: Transcribe job name, Rekognition JobId, lip-reading job id. */
  handle: z.string().optional(),
  attempts: z.number().int().nonnegative(),
  /** Seconds the next Wait should last (the Wait state reads it with SecondsPath). */
  waitSeconds: z.number().int().positive(),
  startedAt: z.string(),
  endedAt: z.string().optional(),
  output: s3RefSchema.optional(),
  error: errorInfoSchema.optional(),
  /** Why a branch was skipped (no audio, no video), for the job summary. */
  reason: z.string().optional(),
  /** Extra facts for the job row, e.g. how long the GPU instance took to wake. */
  facts: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  /** The faces branch only: the active-speaker step that runs after the faces are found. */
  activeSpeakers: activeSpeakersStepSchema.optional(),
});
export type BranchState = z.infer<typeof branchStateSchema>;

/** Input of the ActiveSpeaker task: the job and the faces branch's state once it succeeded. */
export const activeSpeakerTaskInputSchema = z.object({ job: analysedInputSchema, faces: branchStateSchema });
export type ActiveSpeakerTaskInput = z.infer<typeof activeSpeakerTaskInputSchema>;

/** Input of a branch's start or check task. */
export const branchTaskInputSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('start'), job: analysedInputSchema }),
  z.object({ action: z.literal('check'), job: analysedInputSchema, state: branchStateSchema }),
]);
export type BranchTaskInput = z.infer<typeof branchTaskInputSchema>;

/** What a branch ends with after its own Catch: never throws past the Parallel. */
export const branchResultSchema = branchStateSchema.extend({ status: z.enum(['succeeded', 'failed', 'skipped']) });
export type BranchResult = z.infer<typeof branchResultSchema>;

/** Fuse input: the job plus the three branch results in Parallel order. */
export const fuseInputSchema = z.object({
  job: analysedInputSchema,
  branches: z.array(branchResultSchema).length(MODALITIES.length),
});
export type FuseInput = z.infer<typeof fuseInputSchema>;

/** RecordFailure input: the job id and the caught error (Step Functions' Error and Cause). */
export const failureInputSchema = z.object({
  jobId: z.string(),
  failure: z.object({ Error: z.string(), Cause: z.string().optional() }),
});
export type FailureInput = z.infer<typeof failureInputSchema>;

/**
 * EventBridge's "Step Functions Execution Status Change" (the execution name is the jobId).
 * terraform/observability.tf sends TIMED_OUT and ABORTED ones to RecordFailure, since no
 * Catch runs when the whole execution stops.
 */
export const executionStatusChangeSchema = z.object({
  source: z.literal('aws.states'),
  'detail-type': z.literal('Step Functions Execution Status Change'),
  detail: z.object({
    executionArn: z.string().min(1),
    name: z.string().min(1),
    status: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE']),
    error: z.string().nullish(),
    cause: z.string().nullish(),
  }),
});
export type ExecutionStatusChange = z.infer<typeof executionStatusChangeSchema>;

/** What RecordFailure takes: a caught error from the state machine, or an execution that stopped. */
export const recordFailureInputSchema = z.union([failureInputSchema, executionStatusChangeSchema]);
export type RecordFailureInput = z.infer<typeof recordFailureInputSchema>;
