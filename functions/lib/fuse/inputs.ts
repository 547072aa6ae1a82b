import type * as z from 'zod';
import type { S3Ref } from '../contracts/common';
import {
  activeSpeakersDocumentSchema,
  facesDocumentSchema,
  lipReadingDocumentSchema,
  speechDocumentSchema,
  type ActiveSpeakersDocument,
  type FacesDocument,
  type LipReadingDocument,
  type ModalityStatus,
  type ResultDocument,
  type SpeechDocument,
} from '../contracts/documents';
import { MODALITIES, type BranchResult, type FuseInput } from '../contracts/pipeline';
import { SourceObjectMissingError } from '../errors';
import { readableError } from '../pipeline/readable-reason';
import type { ObjectStore } from '../ports';
import { audioWordsFromTranscribe, transcribeOutputSchema } from './transcribe-output';
import type { AudioWord } from './words';

/** The inputs result.json reports on, in its order. */
export const RESULT_MODALITIES = ['transcribe', 'faces', 'activeSpeakers', 'lipreading'] as const;
export type ResultModality = keyof ResultDocument['modalities'];

/**
 * Lip-reading packages whose name starts with this are stand-ins made by
 * ec2-avhubert/models/make_test_model.py: they know two GRID sentences. Their words are kept
 * out of the captions and labelled wherever they are shown.
 */
export const STAND_IN_MODEL_PREFIX = 'gorggle-test-';
export const isStandInModel = (name: string) => name.startsWith(STAND_IN_MODEL_PREFIX);

export interface LoadedInputs {
  modalities: Record<ResultModality, ModalityStatus>;
  audioWords?: AudioWord[];
  faces?: FacesDocument;
  activeSpeakers?: ActiveSpeakersDocument;
  lipReading?: LipReadingDocument;
  /** Voice activity, when extract found the audio's speech segments. */
  speech?: SpeechDocument;
}

export class UnreadableDocumentError extends Error {
  override readonly name = 'UnreadableDocumentError';
}

const noResult = (): ModalityStatus => ({ status: 'failed', reason: 'the pipeline reported no result' });

/** Reads each input that succeeded; one that cannot be read counts as failed. */
export async function loadInputs(input: FuseInput, store: ObjectStore): Promise<LoadedInputs> {
  const loaded: LoadedInputs = {
    modalities: { transcribe: noResult(), faces: noResult(), activeSpeakers: noResult(), lipreading: noResult() },
  };
  for (const modality of MODALITIES) {
    const branch = input.branches.find((candidate) => candidate.modality === modality);
    if (!branch) continue;
    loaded.modalities[modality] = statusOf(branch, modality);
    if (branch.status !== 'succeeded') continue;
    loaded.modalities[modality] = await readInto(branch.output, store, async (text, ref) => {
      if (modality === 'transcribe') {
        loaded.audioWords = audioWordsFromTranscribe(parseDocument(text, transcribeOutputSchema, ref));
      } else if (modality === 'faces') {
        loaded.faces = parseDocument(text, facesDocumentSchema, ref);
      } else {
        loaded.lipReading = parseDocument(text, lipReadingDocumentSchema, ref);
      }
    });
  }

  const faces = input.branches.find((branch) => branch.modality === 'faces');
  const step = faces?.activeSpeakers;
  if (step) {
    loaded.modalities.activeSpeakers = statusOf(step, 'active speaker');
    if (step.status === 'succeeded') {
      loaded.modalities.activeSpeakers = await readInto(step.output, store, async (text, ref) => {
        loaded.activeSpeakers = parseDocument(text, activeSpeakersDocumentSchema, ref);
      });
    }
  } else {
    loaded.modalities.activeSpeakers = {
      status: 'skipped',
      reason:
        faces?.status === 'succeeded'
          ? 'active speaker detection did not run'
          : `no faces to score (faces: ${loaded.modalities.faces.reason ?? loaded.modalities.faces.error?.message ?? loaded.modalities.faces.status})`,
    };
  }

  const speech = input.job.media.speech?.output;
  if (speech) {
    // Voice activity only sharpens the result; without it fuse works as before.
    loaded.speech = await store
      .getText(speech)
      .then((text) => parseDocument(text, speechDocumentSchema, speech))
      .catch(() => undefined);
  }
  return loaded;
}

function statusOf(branch: Pick<BranchResult, 'status' | 'reason' | 'error'>, step: string): ModalityStatus {
  return {
    status: branch.status,
    ...(branch.reason ? { reason: branch.reason } : {}),
    // A branch's caught error may be a Lambda error JSON with a stack trace: keep the words.
    ...(branch.error ? { error: readableError(branch.error, step) } : {}),
  };
}

async function readInto(
  ref: S3Ref | undefined,
  store: ObjectStore,
  read: (text: string, ref: S3Ref) => Promise<void>,
): Promise<ModalityStatus> {
  if (!ref) return { status: 'failed', reason: 'the step succeeded but named no output document' };
  try {
    await read(await store.getText(ref), ref);
    return { status: 'succeeded' };
  } catch (error) {
    if (error instanceof SourceObjectMissingError) {
      const reason = `its output ${ref.key.slice(ref.key.lastIndexOf('/') + 1)} is missing (deleted or expired)`;
      return { status: 'failed', reason, error: { name: error.name, message: reason } };
    }
    if (!(error instanceof UnreadableDocumentError)) throw error;
    return { status: 'failed', reason: error.message, error: { name: error.name, message: error.message } };
  }
}

export function parseDocument<S extends z.ZodType>(text: string, schema: S, ref: S3Ref): z.infer<S> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UnreadableDocumentError(`s3://${ref.bucket}/${ref.key} is not JSON`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new UnreadableDocumentError(
      `s3://${ref.bucket}/${ref.key} does not match its format: ${parsed.error.message}`,
    );
  }
  return parsed.data;
}
