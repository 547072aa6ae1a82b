import type * as z from 'zod';
import type { ErrorInfo, S3Ref } from '../contracts/common';
import {
  RESULT_VERSION,
  facesDocumentSchema,
  lipReadingDocumentSchema,
  resultDocumentSchema,
  type FacesDocument,
  type LipReadingDocument,
  type ResultDocument,
} from '../contracts/documents';
import type { JobSummary } from '../contracts/job';
import { MODALITIES, type BranchResult, type FuseInput, type Modality } from '../contracts/pipeline';
import { NothingUsableError, SourceObjectMissingError } from '../errors';
import { describeError } from '../errors';
import { readableError } from '../pipeline/readable-reason';
import { systemClock, type Clock, type JobRepository, type ObjectStore } from '../ports';
import { DEFAULT_SOLO_WORD_THRESHOLD, fuseWords, passThrough } from './align';
import { toSrt, toWebVtt } from './captions';
import { buildCues, type CaptionBlock } from './cues';
import { faceSpeakerLabel, pickFace } from './faces';
import { buildSegments, segmentConfidence, visualWordGroups, type SpeechSegment } from './segments';
import { audioWordsFromTranscribe, transcribeOutputSchema } from './transcribe-output';
import { wordErrorRate } from './wer';
import { joinWords, roundTo, type AudioWord, type FusedWord, type TimedWord } from './words';

export interface FusePorts {
  store: ObjectStore;
  jobs: JobRepository;
  clock?: Clock;
}

export interface FuseOptions {
  processedBucket: string;
  soloWordThreshold?: number;
}

export interface FuseOutcome {
  status: 'COMPLETED' | 'DEGRADED';
  resultKey: string;
  captionKeys: { vtt: string; srt: string; audioVtt: string; visualVtt: string };
  words: number;
}

type ModalityStatus = ResultDocument['modalities'][Modality];

/** Label for a segment no one could be attached to. */
export const UNKNOWN_SPEAKER = 'unknown';
const SUMMARY_TRANSCRIPT_CHARS = 500;

export const jobKey = (jobId: string, file: string) => `jobs/${jobId}/${file}`;

interface LoadedInputs {
  modalities: Record<Modality, ModalityStatus>;
  audioWords?: AudioWord[];
  faces?: FacesDocument;
  lipReading?: LipReadingDocument;
}

/** Reads each modality that succeeded; one that cannot be read counts as failed. */
async function loadInputs(branches: readonly BranchResult[], store: ObjectStore): Promise<LoadedInputs> {
  const loaded: LoadedInputs = {
    modalities: { transcribe: missing('failed'), faces: missing('failed'), lipreading: missing('failed') },
  };
  for (const modality of MODALITIES) {
    const branch = branches.find((candidate) => candidate.modality === modality);
    if (!branch) continue;
    const status: ModalityStatus = { status: branch.status };
    if (branch.reason) status.reason = branch.reason;
    // A branch's caught error may be a Lambda error JSON with a stack trace: keep the words.
    if (branch.error) status.error = readableError(branch.error, modality);
    loaded.modalities[modality] = status;
    if (branch.status !== 'succeeded') continue;
    if (!branch.output) {
      loaded.modalities[modality] = { status: 'failed', reason: 'the branch succeeded but named no output document' };
      continue;
    }
    try {
      await readDocument(modality, branch.output, store, loaded);
    } catch (error) {
      if (error instanceof SourceObjectMissingError) {
        const reason = `its output ${branch.output.key.slice(branch.output.key.lastIndexOf('/') + 1)} is missing (deleted or expired)`;
        loaded.modalities[modality] = { status: 'failed', reason, error: { name: error.name, message: reason } };
        continue;
      }
      if (!(error instanceof UnreadableDocumentError)) throw error;
      loaded.modalities[modality] = {
        status: 'failed',
        reason: error.message,
        error: { name: error.name, message: error.message },
      };
    }
  }
  return loaded;
}

const missing = (status: 'failed'): ModalityStatus => ({ status, reason: 'the pipeline reported no result' });

class UnreadableDocumentError extends Error {
  override readonly name = 'UnreadableDocumentError';
}

async function readDocument(modality: Modality, ref: S3Ref, store: ObjectStore, loaded: LoadedInputs) {
  const text = await store.getText(ref);
  if (modality === 'transcribe') {
    loaded.audioWords = audioWordsFromTranscribe(parseDocument(text, transcribeOutputSchema, ref));
  } else if (modality === 'faces') {
    loaded.faces = parseDocument(text, facesDocumentSchema, ref);
  } else {
    loaded.lipReading = parseDocument(text, lipReadingDocumentSchema, ref);
  }
}

function parseDocument<S extends z.ZodType>(text: string, schema: S, ref: S3Ref): z.infer<S> {
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

/** "lipreading: LipReadingUnavailableError: ..." or "transcribe: skipped: no audio stream". */
export function degradedReason(modality: Modality, status: ModalityStatus): string {
  if (status.status === 'skipped') return `${modality}: skipped: ${status.reason ?? 'no reason given'}`;
  if (status.error) return `${modality}: ${status.error.name}: ${status.error.message}`;
  return `${modality}: failed: ${status.reason ?? 'no reason given'}`;
}

function fuseSegment(segment: SpeechSegment, audioHeardSpeech: boolean, threshold: number): FusedWord[] {
  if (segment.audio.length && segment.visual.length) return fuseWords(segment.audio, segment.visual, threshold);
  if (segment.audio.length) return passThrough(segment.audio, 'audio');
  // Lips moved where the audio, which heard speech elsewhere, heard none: keep only confident words.
  const visual = audioHeardSpeech ? segment.visual.filter((word) => word.confidence >= threshold) : segment.visual;
  return passThrough(visual, 'visual');
}

/** Rounded to the millisecond; lip-reading estimates can stray below zero. */
const seconds = (value: number) => roundTo(Math.max(0, value));

function truncateAtWord(text: string, limit: number): string {
  if (text.length <= limit) return text;
  const cut = text.slice(0, limit);
  const lastSpace = cut.lastIndexOf(' ');
  return `${(lastSpace > limit / 2 ? cut.slice(0, lastSpace) : cut).trimEnd()}…`;
}

/**
 * The fuse use case: reads what the branches produced, aligns and merges words,
 * attaches speakers and faces, writes result.json and the captions, and finishes the
 * job row as COMPLETED or DEGRADED. Throws NothingUsableError when there is no speech
 * from either the audio or the lips.
 */
export async function fuseJob(input: FuseInput, ports: FusePorts, options: FuseOptions): Promise<FuseOutcome> {
  const clock = ports.clock ?? systemClock;
  const { jobId } = input.job;
  const startedAt = clock.now().toISOString();
  await ports.jobs.updateStage(jobId, 'fuse', { status: 'running', startedAt });
  try {
    const outcome = await fuse(input, ports.store, options);
    await ports.jobs.updateStage(jobId, 'fuse', {
      status: 'succeeded',
      startedAt,
      endedAt: clock.now().toISOString(),
    });
    await ports.jobs.finish(jobId, outcome.status, outcome.summary);
    return outcome.result;
  } catch (error) {
    const failure: ErrorInfo = describeError(error);
    await ports.jobs
      .updateStage(jobId, 'fuse', { status: 'failed', startedAt, endedAt: clock.now().toISOString(), error: failure })
      .catch(() => undefined);
    throw error;
  }
}

async function fuse(
  input: FuseInput,
  store: ObjectStore,
  options: FuseOptions,
): Promise<{ status: FuseOutcome['status']; summary: JobSummary; result: FuseOutcome }> {
  const { job } = input;
  const threshold = options.soloWordThreshold ?? DEFAULT_SOLO_WORD_THRESHOLD;
  const loaded = await loadInputs(input.branches, store);
  const audioWords = loaded.audioWords ?? [];
  const visualGroups = loaded.lipReading ? visualWordGroups(loaded.lipReading) : [];

  if (audioWords.length === 0 && visualGroups.length === 0) {
    const reasons = (['transcribe', 'lipreading'] as const).map((modality) =>
      loaded.modalities[modality].status === 'succeeded'
        ? `${modality}: no words`
        : degradedReason(modality, loaded.modalities[modality]),
    );
    throw new NothingUsableError(
      `Nothing to caption in s3://${job.source.bucket}/${job.source.key}: no speech was transcribed and no lips ` +
        `could be read (${reasons.join('; ')}). Upload a video in which someone speaks audibly or faces the ` +
        'camera, or fix the failures listed and upload it again.',
    );
  }

  const preferMovingMouth = Boolean(loaded.lipReading?.mouthOpening);
  const segments: ResultDocument['segments'] = [];
  const audioBlocks: CaptionBlock[] = [];
  const visualBlocks: CaptionBlock[] = [];
  for (const segment of buildSegments(audioWords, visualGroups)) {
    const words = fuseSegment(segment, audioWords.length > 0, threshold);
    if (!words.length) continue;
    const start = Math.min(...words.map((word) => word.start));
    const end = Math.max(...words.map((word) => word.end));
    const face = loaded.faces ? pickFace(loaded.faces, start, end, preferMovingMouth) : undefined;
    const speaker = segment.speaker ?? (face ? faceSpeakerLabel(face.faceId) : UNKNOWN_SPEAKER);
    segments.push({
      start: seconds(start),
      end: seconds(end),
      speaker,
      text: joinWords(words),
      confidence: roundTo(segmentConfidence(words)),
      audioText: joinWords(segment.audio),
      visualText: joinWords(segment.visual),
      ...(face ? { face } : {}),
      words: words.map((word) => ({ ...word, start: seconds(word.start), end: seconds(word.end) })),
    });
    if (segment.audio.length) audioBlocks.push({ speaker, words: segment.audio });
    if (segment.visual.length) visualBlocks.push({ speaker, words: segment.visual });
  }

  const missingModalities = MODALITIES.filter((modality) => loaded.modalities[modality].status !== 'succeeded');
  const degradedReasons = missingModalities.map((modality) => degradedReason(modality, loaded.modalities[modality]));
  const status = missingModalities.length ? 'DEGRADED' : 'COMPLETED';
  const fusedWords = segments.flatMap((segment) => segment.words);
  if (fusedWords.length === 0) {
    throw new NothingUsableError(
      `Nothing to caption in s3://${job.source.bucket}/${job.source.key}: the few words heard or lip-read were ` +
        'too uncertain to keep. Upload a clearer recording (less background noise, the face well lit and turned ' +
        'to the camera).',
    );
  }
  const speakers = new Set(segments.map((segment) => segment.speaker)).size;
  const lastWordEnd = Math.max(0, ...fusedWords.map((word) => word.end));
  const durationSec = roundTo(job.media.durationSec || lastWordEnd);

  const document: ResultDocument = resultDocumentSchema.parse({
    version: RESULT_VERSION,
    jobId: job.jobId,
    source: { bucket: job.source.bucket, key: job.source.key },
    segments,
    modalities: loaded.modalities,
    metrics: {
      durationSec,
      words: fusedWords.length,
      speakers,
      ...(job.reference ? { wer: errorRates(job.reference, loaded, visualGroups, fusedWords) } : {}),
    },
  });

  const keys = {
    result: jobKey(job.jobId, 'result.json'),
    vtt: jobKey(job.jobId, 'captions.vtt'),
    srt: jobKey(job.jobId, 'captions.srt'),
    audioVtt: jobKey(job.jobId, 'audio.vtt'),
    visualVtt: jobKey(job.jobId, 'visual.vtt'),
  };
  const fusedCues = buildCues(document.segments.map((segment) => ({ speaker: segment.speaker, words: segment.words })));
  const put = (key: string, body: string, contentType: string) =>
    store.putText({ bucket: options.processedBucket, key }, body, contentType);
  await Promise.all([
    put(keys.result, `${JSON.stringify(document, null, 2)}\n`, 'application/json'),
    put(keys.vtt, toWebVtt(fusedCues), 'text/vtt; charset=utf-8'),
    put(keys.srt, toSrt(fusedCues), 'application/x-subrip; charset=utf-8'),
    put(keys.audioVtt, toWebVtt(buildCues(audioBlocks)), 'text/vtt; charset=utf-8'),
    put(keys.visualVtt, toWebVtt(buildCues(visualBlocks)), 'text/vtt; charset=utf-8'),
  ]);

  const transcript = truncateAtWord(
    document.segments.map((segment) => segment.text).join(' '),
    SUMMARY_TRANSCRIPT_CHARS,
  );
  return {
    status,
    summary: {
      durationSec,
      words: fusedWords.length,
      speakers,
      transcript,
      degradedReasons,
      resultKey: keys.result,
    },
    result: {
      status,
      resultKey: keys.result,
      captionKeys: { vtt: keys.vtt, srt: keys.srt, audioVtt: keys.audioVtt, visualVtt: keys.visualVtt },
      words: fusedWords.length,
    },
  };
}

function errorRates(
  reference: string,
  loaded: LoadedInputs,
  visualGroups: readonly TimedWord[][],
  fused: readonly FusedWord[],
): NonNullable<ResultDocument['metrics']['wer']> {
  const rates: NonNullable<ResultDocument['metrics']['wer']> = {};
  const audio =
    loaded.modalities.transcribe.status === 'succeeded'
      ? wordErrorRate(reference, joinWords(loaded.audioWords ?? []))
      : undefined;
  const visual =
    loaded.modalities.lipreading.status === 'succeeded'
      ? wordErrorRate(reference, joinWords(visualGroups.flat()))
      : undefined;
  const fusedRate = wordErrorRate(reference, joinWords(fused));
  if (audio !== undefined) rates.audio = audio;
  if (visual !== undefined) rates.visual = visual;
  if (fusedRate !== undefined) rates.fused = fusedRate;
  return rates;
}
