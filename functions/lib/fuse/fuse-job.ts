import type { ErrorInfo } from '../contracts/common';
import {
  RESULT_VERSION,
  UNKNOWN_SPEAKER,
  resultDocumentSchema,
  type ModalityStatus,
  type ResultDocument,
  type ResultSpeaker,
} from '../contracts/documents';
import type { JobSummary } from '../contracts/job';
import type { FuseInput } from '../contracts/pipeline';
import { NothingUsableError, describeError } from '../errors';
import { systemClock, type Clock, type JobRepository, type ObjectStore } from '../ports';
import { DEFAULT_SOLO_WORD_THRESHOLD, fuseWords, passThrough } from './align';
import { toSrt, toWebVtt } from './captions';
import { buildCues, type CaptionBlock } from './cues';
import { isStandInModel, loadInputs, RESULT_MODALITIES, type LoadedInputs, type ResultModality } from './inputs';
import { speakerEvidence, type SpeakerEvidence } from './speaker-evidence';
import { attributeSpeakers, describeSpeakers, faceOf, type PersonKey, type SpeechUnit } from './speakers';
import { bestSegmentFor, buildSegments, segmentConfidence, visualWordGroups, type SpeechSegment } from './segments';
import { wordErrorRate } from './wer';
import { joinWords, roundTo, type FusedWord, type TimedWord } from './words';

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

export { UNKNOWN_SPEAKER };
/** How captions name words no one could be attached to. */
export const UNKNOWN_SPEAKER_LABEL = 'Unknown speaker';
/** How visual.vtt names the words of a stand-in lip-reading model. */
export const STAND_IN_LABEL = 'TEST MODEL, not real lip reading';
/** result.json's emptyReason when voice activity found no speech. */
export const NO_SPEECH = 'no speech';
const SUMMARY_TRANSCRIPT_CHARS = 500;

export const jobKey = (jobId: string, file: string) => `jobs/${jobId}/${file}`;

/** "lipreading: LipReadingUnavailableError: ..." or "activeSpeakers: failed: ...". */
export function degradedReason(modality: ResultModality, status: ModalityStatus): string {
  if (status.status === 'skipped') return `${modality}: skipped: ${status.reason ?? 'no reason given'}`;
  if (status.error) return `${modality}: ${status.error.name}: ${status.error.message}`;
  return `${modality}: failed: ${status.reason ?? 'no reason given'}`;
}

function fuseSegment(segment: Pick<SpeechSegment, 'audio' | 'visual'>, audioHeardSpeech: boolean, threshold: number) {
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
 * The fuse use case: reads what the branches produced, aligns and merges words, tells who
 * said each (speakers are people: voices joined to the faces seen speaking), writes
 * result.json and the captions, and finishes the job row as COMPLETED or DEGRADED. A clip
 * in which voice activity found no speech is an empty success. Throws NothingUsableError
 * when there is speech but neither the audio nor the lips gave words.
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

/** One person's stretch of a speech segment: what becomes a result segment. */
interface Turn {
  start: number;
  end: number;
  person?: PersonKey;
  voice?: string;
  audio: TimedWord[];
  visual: TimedWord[];
}

/** Splits each segment where the person speaking changes; its lip-read words follow the time they overlap. */
function turnsOf(segments: readonly SpeechSegment[], evidence: SpeakerEvidence): Turn[] {
  /** The words each segment attributes: the heard ones, else the lip-read ones. */
  const attributed = segments.map((segment) => (segment.audio.length ? segment.audio : segment.visual));
  const units: SpeechUnit[] = segments.flatMap((segment, index) =>
    (attributed[index] ?? []).map((word) => ({
      start: word.start,
      end: word.end,
      ...(segment.audio.length && segment.speaker !== undefined ? { voice: segment.speaker } : {}),
      speakingFaces: evidence.speakingFaces(word, segment),
    })),
  );
  const { people } = attributeSpeakers(units);

  const turns: Turn[] = [];
  let unit = 0;
  segments.forEach((segment, index) => {
    const heard = segment.audio.length > 0;
    const own: Turn[] = [];
    for (const word of attributed[index] ?? []) {
      const person = people[unit++];
      let turn = own.at(-1);
      if (!turn || turn.person !== person) {
        turn = {
          start: word.start,
          end: word.end,
          ...(person ? { person } : {}),
          ...(heard && segment.speaker !== undefined ? { voice: segment.speaker } : {}),
          audio: [],
          visual: [],
        };
        own.push(turn);
      }
      (heard ? turn.audio : turn.visual).push(word);
      turn.end = Math.max(turn.end, word.end);
    }
    if (heard) {
      for (const word of segment.visual) (bestSegmentFor(word, own) ?? own.at(-1))?.visual.push(word);
    }
    turns.push(...own);
  });
  return turns.sort((a, b) => a.start - b.start);
}

interface Written {
  status: FuseOutcome['status'];
  summary: JobSummary;
  result: FuseOutcome;
}

async function fuse(input: FuseInput, store: ObjectStore, options: FuseOptions): Promise<Written> {
  const { job } = input;
  const threshold = options.soloWordThreshold ?? DEFAULT_SOLO_WORD_THRESHOLD;
  const loaded = await loadInputs(input, store);
  const standIn = loaded.lipReading && isStandInModel(loaded.lipReading.model.name) ? loaded.lipReading : undefined;
  if (standIn) {
    loaded.modalities.lipreading = {
      ...loaded.modalities.lipreading,
      reason:
        `lip read by the stand-in test model ${standIn.model.name} (a plumbing check): its words are kept out ` +
        'of the captions and shown only, labelled, in visual.vtt. Set GORGGLE_MODEL_DIR to a real model package.',
    };
  }
  const lipReadGroups = loaded.lipReading ? visualWordGroups(loaded.lipReading) : [];
  const visualGroups = standIn ? [] : lipReadGroups;
  const audioWords = loaded.audioWords ?? [];
  const noSpeech = loaded.speech !== undefined && loaded.speech.segments.length === 0;

  if (!noSpeech && audioWords.length === 0 && visualGroups.length === 0) {
    const reasons = (['transcribe', 'lipreading'] as const).map((modality) =>
      loaded.modalities[modality].status === 'succeeded' && !(modality === 'lipreading' && standIn)
        ? `${modality}: no words`
        : degradedReason(modality, loaded.modalities[modality]),
    );
    throw new NothingUsableError(
      `Nothing to caption in s3://${job.source.bucket}/${job.source.key}: no speech was transcribed and no lips ` +
        `could be read (${reasons.join('; ')}). Upload a video in which someone speaks audibly or faces the ` +
        'camera, or fix the failures listed and upload it again.',
    );
  }

  const evidence = speakerEvidence(loaded);
  if (evidence.kind !== 'active-speaker' && loaded.modalities.faces.status === 'succeeded') {
    const activeSpeakers = loaded.modalities.activeSpeakers;
    const fallback =
      evidence.kind === 'mouth-movement'
        ? 'faces were matched to speech by mouth movement instead (less reliable)'
        : 'speakers come from voices alone';
    activeSpeakers.reason = activeSpeakers.reason ? `${activeSpeakers.reason}; ${fallback}` : fallback;
  }

  const turns = noSpeech ? [] : turnsOf(buildSegments(audioWords, visualGroups), evidence);
  const fusedTurns = turns
    .map((turn) => ({ turn, words: fuseSegment(turn, audioWords.length > 0, threshold) }))
    .filter(({ words }) => words.length > 0);

  const scoreOf = (person: PersonKey | undefined, span: { start: number; end: number }) => {
    const faceId = person && faceOf(person);
    return faceId === undefined ? undefined : evidence.score(faceId, span);
  };
  const { speakers, idOf } = describeSpeakers(
    fusedTurns.flatMap(({ turn, words }) =>
      words.map((word) => ({
        start: word.start,
        end: word.end,
        ...(turn.person ? { person: turn.person } : {}),
        ...(turn.voice !== undefined ? { voice: turn.voice } : {}),
        ...optionalScore(scoreOf(turn.person, word)),
      })),
    ),
  );
  const idFor = (person: PersonKey | undefined) => (person && idOf.get(person)) ?? UNKNOWN_SPEAKER;

  const segments: ResultDocument['segments'] = fusedTurns.map(({ turn, words }) => {
    const start = Math.min(...words.map((word) => word.start));
    const end = Math.max(...words.map((word) => word.end));
    const speaker = idFor(turn.person);
    const faceId = turn.person && faceOf(turn.person);
    const box = faceId === undefined ? undefined : evidence.boxAt(faceId, { start, end });
    return {
      start: seconds(start),
      end: seconds(end),
      speaker,
      ...(turn.voice !== undefined ? { voice: turn.voice } : {}),
      text: joinWords(words),
      confidence: roundTo(segmentConfidence(words)),
      audioText: joinWords(turn.audio),
      visualText: joinWords(turn.visual),
      ...(faceId !== undefined && box ? { face: { faceId, box } } : {}),
      ...optionalScore(scoreOf(turn.person, { start, end })),
      words: words.map((word: FusedWord) => ({
        ...word,
        start: seconds(word.start),
        end: seconds(word.end),
        speaker,
        ...optionalScore(scoreOf(turn.person, word)),
      })),
    };
  });

  const failed = RESULT_MODALITIES.filter((modality) => loaded.modalities[modality].status === 'failed');
  const degradedReasons = failed.map((modality) => degradedReason(modality, loaded.modalities[modality]));
  const status = failed.length ? 'DEGRADED' : 'COMPLETED';
  const fusedWords = segments.flatMap((segment) => segment.words);
  if (!noSpeech && fusedWords.length === 0) {
    throw new NothingUsableError(
      `Nothing to caption in s3://${job.source.bucket}/${job.source.key}: the few words heard or lip-read were ` +
        'too uncertain to keep. Upload a clearer recording (less background noise, the face well lit and turned ' +
        'to the camera).',
    );
  }
  const lastWordEnd = Math.max(0, ...fusedWords.map((word) => word.end));
  const durationSec = roundTo(job.media.durationSec || lastWordEnd);
  const speech = loaded.speech && { segments: loaded.speech.segments, speechSec: roundTo(loaded.speech.speechSec) };

  const document: ResultDocument = resultDocumentSchema.parse({
    version: RESULT_VERSION,
    jobId: job.jobId,
    source: { bucket: job.source.bucket, key: job.source.key },
    speakers,
    segments,
    modalities: loaded.modalities,
    speakerEvidence: evidence.kind,
    ...(speech ? { speech } : {}),
    ...(noSpeech ? { emptyReason: NO_SPEECH } : {}),
    metrics: {
      durationSec,
      words: fusedWords.length,
      speakers: speakers.length,
      ...(speech ? { speechSec: speech.speechSec } : {}),
      ...(job.reference ? { wer: errorRates(job.reference, loaded, lipReadGroups, fusedWords) } : {}),
    },
  });

  const label = labeller(speakers);
  const keys = {
    result: jobKey(job.jobId, 'result.json'),
    vtt: jobKey(job.jobId, 'captions.vtt'),
    srt: jobKey(job.jobId, 'captions.srt'),
    audioVtt: jobKey(job.jobId, 'audio.vtt'),
    visualVtt: jobKey(job.jobId, 'visual.vtt'),
  };
  const fusedCues = buildCues(
    document.segments.map((segment) => ({ speaker: label(segment.speaker), words: segment.words })),
  );
  const audioBlocks: CaptionBlock[] = fusedTurns
    .filter(({ turn }) => turn.audio.length)
    .map(({ turn }) => ({ speaker: label(idFor(turn.person)), words: turn.audio }));
  const visualBlocks: CaptionBlock[] = standIn
    ? lipReadGroups.map((words) => ({ speaker: STAND_IN_LABEL, words }))
    : fusedTurns
        .filter(({ turn }) => turn.visual.length)
        .map(({ turn }) => ({ speaker: label(idFor(turn.person)), words: turn.visual }));
  const visualNotes = standIn
    ? [`These words come from the stand-in test model ${standIn.model.name}, not from real lip reading.`]
    : [];
  const put = (key: string, body: string, contentType: string) =>
    store.putText({ bucket: options.processedBucket, key }, body, contentType);
  await Promise.all([
    put(keys.result, `${JSON.stringify(document, null, 2)}\n`, 'application/json'),
    put(keys.vtt, toWebVtt(fusedCues), 'text/vtt; charset=utf-8'),
    put(keys.srt, toSrt(fusedCues), 'application/x-subrip; charset=utf-8'),
    put(keys.audioVtt, toWebVtt(buildCues(audioBlocks)), 'text/vtt; charset=utf-8'),
    put(keys.visualVtt, toWebVtt(buildCues(visualBlocks), visualNotes), 'text/vtt; charset=utf-8'),
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
      speakers: speakers.length,
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

const optionalScore = (score: number | undefined) => (score === undefined ? {} : { speakingScore: roundTo(score) });

/** Speaker ids to display names for captions. */
function labeller(speakers: readonly ResultSpeaker[]): (id: string) => string {
  const labels = new Map(speakers.map((speaker) => [speaker.id, speaker.label]));
  return (id) => labels.get(id) ?? UNKNOWN_SPEAKER_LABEL;
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
