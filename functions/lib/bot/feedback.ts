import type { JobRecord } from '../contracts/job';
import { alignSequences } from '../fuse/levenshtein';
import { normaliseText } from '../fuse/words';
import type { Clock } from '../ports';
import { list, seconds, t } from './i18n';
import {
  isRejected,
  type CheckOutcome,
  type QualityCheck,
  type QualityVerdict,
  type Recording,
  type RecordingQuality,
} from './model';
import type { RecordingQualityStore, SentenceStore } from './ports';
import {
  activeSpeakerFactsSchema,
  faceFactsSchema,
  resultFactsSchema,
  speechFactsSchema,
  type ActiveSpeakerFacts,
  type FaceFacts,
  type ResultFacts,
  type SpeechFacts,
} from './quality-documents';
import type { Keyboard } from './turn';

export interface FeedbackPorts {
  jobs: { get(jobId: string): Promise<JobRecord | undefined> };
  recordings: RecordingQualityStore;
  sentences: Pick<SentenceStore, 'uncountRecording'>;
  /** Removes a job's files and row: used when its recording was withdrawn meanwhile. */
  purgeJob(jobId: string): Promise<void>;
  /** A job file's text, or undefined when the pipeline did not write it. */
  readJobFile(jobId: string, file: string): Promise<string | undefined>;
  notify(chatId: number, text: string, keyboard?: Keyboard): Promise<void>;
  clock: Clock;
}

export interface FeedbackOptions {
  /** Below this share of sampled frames with a face, a recording has "no face". */
  minFaceRatio: number;
  /** The face box's larger side, relative to the frame, must reach this. */
  minFaceSize: number;
  /** Rekognition's face brightness (0-100) must reach this. */
  minBrightness: number;
  /** Seconds of voice activity a reading needs. */
  minSpeechSec: number;
  /** Above this WER against the prompt, it is not the sentence. */
  maxAcceptedWer: number;
  /** Frames (at the scores' fps) a face must speak in, to count as a speaker. */
  minSpeakingFrames: number;
  /** Prompt languages the pipeline transcribes (each in its own language); others skip the sentence check. */
  werLanguages: readonly string[];
  /** The bot's length limits, to name them in the verdict. */
  minVideoSec: number;
  maxVideoSec: number;
}

export const DEFAULT_FEEDBACK_OPTIONS: FeedbackOptions = {
  minFaceRatio: 0.5,
  minFaceSize: 0.12,
  minBrightness: 20,
  minSpeechSec: 0.5,
  maxAcceptedWer: 0.35,
  minSpeakingFrames: 12,
  werLanguages: ['he', 'en'],
  minVideoSec: 1,
  maxVideoSec: 30,
};

export type FeedbackOutcome =
  | { outcome: 'ignored'; reason: string }
  | { outcome: 'withdrawn'; jobId: string }
  | { outcome: 'already-reviewed'; recordingId: string }
  | { outcome: 'reviewed'; recordingId: string; quality: RecordingQuality };

/** Job errors that say what was wrong with the file itself (functions/lib/errors.ts names). */
const MEDIA_VERDICTS: Readonly<Record<string, QualityVerdict>> = {
  MediaTooLongError: 'too_long',
  MediaTooShortError: 'too_short',
  UnsupportedMediaError: 'unreadable',
  UploadRejectedError: 'unreadable',
};

/** contributions/<hash>/<recordingId>.<ext> → recordingId. */
export function recordingIdOfKey(key: string): string | undefined {
  return /^contributions\/[^/]+\/([^/.]+)\.[^/.]+$/.exec(key)?.[1];
}

/** Share of Rekognition's sampled instants at which a face was seen. */
export function faceRatio(faces: Pick<FaceFacts, 'detections' | 'frameIntervalSec' | 'durationSec'>): number {
  const seen = new Set(faces.detections.map((detection) => detection.time.toFixed(3))).size;
  if (seen === 0) return 0;
  if (faces.frameIntervalSec <= 0 || faces.durationSec <= 0) return 1;
  const samples = Math.floor(faces.durationSec / faces.frameIntervalSec) + 1;
  return Math.min(1, Math.round((seen / samples) * 1000) / 1000);
}

/**
 * When a contribution's execution ends: check the recording as a dataset needs it, store
 * the verdict once, take a rejected take out of coverage, and tell the contributor in their
 * language what to do (never the pipeline's own error text).
 */
export async function reviewContribution(
  execution: { jobId: string; status: string },
  ports: FeedbackPorts,
  options: FeedbackOptions,
): Promise<FeedbackOutcome> {
  const job = await ports.jobs.get(execution.jobId);
  if (!job) return { outcome: 'ignored', reason: `no job row ${execution.jobId}` };
  if (job.kind !== 'contribution') return { outcome: 'ignored', reason: `job ${job.jobId} is an ${job.kind}` };
  const recordingId = recordingIdOfKey(job.source.key);
  if (!recordingId) return { outcome: 'ignored', reason: `${job.source.key} is not a bot recording's key` };
  const recording = await ports.recordings.get(recordingId);
  if (!recording) {
    // Deleted with /delete while the pipeline ran: what it wrote since goes too.
    await ports.purgeJob(job.jobId);
    return { outcome: 'withdrawn', jobId: job.jobId };
  }

  const quality = await assess(job, execution.status, recording, ports, options);
  if (!(await ports.recordings.setQuality(recordingId, quality))) return { outcome: 'already-reviewed', recordingId };
  if (isRejected(quality.verdict) && recording.kind === 'sentence') {
    await ports.sentences.uncountRecording(recording.promptId, recordingId);
  }
  const { text, keyboard } = verdictMessage(recording, quality, options);
  // Told after the verdict is stored and marked only once sent: a failed send is retried by
  // EventBridge's next delivery, so a contributor may hear twice but never not at all.
  await ports.notify(recording.chatId, text, keyboard);
  await ports.recordings.markNotified(recordingId, quality.jobId, ports.clock.now());
  return { outcome: 'reviewed', recordingId, quality };
}

/** The message for a verdict, with a "record it again" button when the take was rejected. */
export function verdictMessage(
  recording: Pick<Recording, 'language' | 'promptText' | 'recordingId'>,
  quality: Pick<RecordingQuality, 'verdict' | 'checks'>,
  options: Pick<FeedbackOptions, 'minVideoSec' | 'maxVideoSec'>,
): { text: string; keyboard?: Keyboard } {
  const language = recording.language;
  const checks = quality.checks ?? [];
  const names = (outcome: CheckOutcome['outcome']) =>
    list(
      language,
      'check',
      checks.filter((check) => check.outcome === outcome).map((check) => check.check),
    );
  const limit =
    quality.verdict === 'too_short' ? seconds(language, options.minVideoSec) : seconds(language, options.maxVideoSec);
  const text = t(language, `quality_${quality.verdict}`, {
    prompt: recording.promptText,
    passed: names('passed'),
    notRun: names('not_run'),
    limit,
  });
  if (!isRejected(quality.verdict)) return { text };
  return {
    text,
    keyboard: [[{ text: t(language, 'recordAgain'), callback_data: `again:${recording.recordingId}` }]],
  };
}

interface Evidence {
  result?: ResultFacts;
  faces?: FaceFacts;
  speech?: SpeechFacts;
  speakers?: ActiveSpeakerFacts;
}

async function readDocument<T>(
  ports: FeedbackPorts,
  jobId: string,
  file: string,
  schema: { safeParse(value: unknown): { success: true; data: T } | { success: false } },
): Promise<T | undefined> {
  const text = await ports.readJobFile(jobId, file);
  if (!text) return undefined;
  const parsed = schema.safeParse(JSON.parse(text));
  return parsed.success ? parsed.data : undefined;
}

async function assess(
  job: JobRecord,
  executionStatus: string,
  recording: Recording,
  ports: FeedbackPorts,
  options: FeedbackOptions,
): Promise<RecordingQuality> {
  // "Nothing to caption" means every document was written but no words came of them (no
  // speech-to-text for the language, no lip-reading model): the checks can still be made.
  const succeeded =
    (executionStatus === 'SUCCEEDED' && job.status !== 'FAILED') || job.error?.name === 'NothingUsableError';
  const base = {
    jobId: job.jobId,
    jobStatus: job.status === 'FAILED' || succeeded ? job.status : executionStatus,
    checkedAt: ports.clock.now().toISOString(),
    ...(job.error ? { reason: `${job.error.name}: ${job.error.message}` } : {}),
  };
  const mediaVerdict = job.error ? MEDIA_VERDICTS[job.error.name] : undefined;
  if (mediaVerdict) return { ...base, verdict: mediaVerdict };

  const [result, faces, speech, speakers] = await Promise.all([
    readDocument(ports, job.jobId, 'result.json', resultFactsSchema),
    readDocument(ports, job.jobId, 'faces.json', faceFactsSchema),
    readDocument(ports, job.jobId, 'speech.json', speechFactsSchema),
    readDocument(ports, job.jobId, 'speakers.json', activeSpeakerFactsSchema),
  ]);
  const evidence: Evidence = { result, faces, speech, speakers };
  const reads = recording.kind !== 'calibration';
  const checks = runChecks(evidence, recording, options, reads);
  const transcript = result ? audioTranscript(result) : undefined;
  const wer =
    reads && transcript !== undefined && result?.modalities.transcribe.status === 'succeeded'
      ? alignToPrompt(recording.promptText, transcript).wer
      : undefined;
  const ratio = faces ? faceRatio(faces) : undefined;
  return {
    ...base,
    verdict: verdictOf(checks, succeeded, reads),
    checks,
    ...(transcript === undefined ? {} : { transcript }),
    ...(wer === undefined ? {} : { wer }),
    ...(ratio === undefined ? {} : { faceRatio: ratio }),
  };
}

/**
 * The first failed check decides. A job that failed for another reason is 'failed' (our
 * problem: record again later), except a calibration whose face could still be judged. A
 * check that could not run leaves the take unverified, never accepted.
 */
function verdictOf(checks: CheckOutcome[], succeeded: boolean, reads: boolean): QualityVerdict {
  for (const { check, outcome, detail } of checks) {
    if (outcome !== 'failed') continue;
    return FAILED_CHECK_VERDICT[check](detail);
  }
  if (!succeeded && (reads || !checks.some((check) => check.outcome === 'passed'))) return 'failed';
  return checks.some((check) => check.outcome === 'not_run') ? 'unverified' : 'accepted';
}

const FAILED_CHECK_VERDICT: Record<QualityCheck, (detail?: string) => QualityVerdict> = {
  face: () => 'no_face',
  face_size: () => 'face_too_small',
  lighting: () => 'too_dark',
  speech: () => 'no_speech',
  one_speaker: () => 'several_speakers',
  face_speaking: () => 'face_not_speaking',
  sentence: (detail) => (detail?.startsWith('cut off') ? 'incomplete' : 'wrong_sentence'),
};

const passed = (check: QualityCheck, detail?: string): CheckOutcome => ({
  check,
  outcome: 'passed',
  ...(detail ? { detail } : {}),
});
const failed = (check: QualityCheck, detail: string): CheckOutcome => ({ check, outcome: 'failed', detail });
const notRun = (check: QualityCheck, detail: string): CheckOutcome => ({ check, outcome: 'not_run', detail });

const median = (values: readonly number[]): number | undefined => {
  if (!values.length) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
const round = (value: number, digits = 3) => Number(value.toFixed(digits));

/** The face on screen: the track seen most often. */
function mainTrack(faces: FaceFacts): string | undefined {
  const counts = new Map<string, number>();
  for (const detection of faces.detections) counts.set(detection.trackId, (counts.get(detection.trackId) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
}

/**
 * Every check, in the order their failures decide the verdict. Calibration (a tongue and a
 * smile, in silence) is judged on the face alone.
 */
export function runChecks(
  evidence: Evidence,
  recording: Pick<Recording, 'promptText' | 'language'>,
  options: FeedbackOptions,
  reads: boolean,
): CheckOutcome[] {
  const checks = faceChecks(evidence.faces, options);
  if (!reads) return checks;
  checks.push(speechCheck(evidence, options));
  checks.push(...speakerChecks(evidence, options));
  checks.push(sentenceCheck(evidence.result, recording, options));
  return checks;
}

function faceChecks(faces: FaceFacts | undefined, options: FeedbackOptions): CheckOutcome[] {
  if (!faces) {
    const why = 'face detection wrote no faces.json';
    return [notRun('face', why), notRun('face_size', why), notRun('lighting', why)];
  }
  const ratio = faceRatio(faces);
  if (ratio < options.minFaceRatio) {
    return [failed('face', `a face in ${ratio} of sampled frames, under ${options.minFaceRatio}`)];
  }
  const track = mainTrack(faces);
  const detections = faces.detections.filter((detection) => detection.trackId === track);
  const size = median(detections.map((detection) => Math.max(detection.box.width, detection.box.height))) ?? 0;
  const checks = [passed('face', `a face in ${ratio} of sampled frames`)];
  checks.push(
    size >= options.minFaceSize
      ? passed('face_size', `median face size ${round(size)} of the frame`)
      : failed('face_size', `median face size ${round(size)} of the frame, under ${options.minFaceSize}`),
  );
  const brightness = median(
    detections.flatMap((detection) => (detection.brightness === undefined ? [] : [detection.brightness])),
  );
  if (brightness === undefined) checks.push(notRun('lighting', 'faces.json has no brightness'));
  else if (brightness < options.minBrightness) {
    checks.push(failed('lighting', `median face brightness ${round(brightness, 1)}, under ${options.minBrightness}`));
  } else checks.push(passed('lighting', `median face brightness ${round(brightness, 1)}`));
  return checks;
}

/** Speech from the sound alone: voice activity, else the audio transcript's words (never lip reading's). */
function speechCheck({ speech, result }: Evidence, options: FeedbackOptions): CheckOutcome {
  if (speech) {
    return speech.speechSec >= options.minSpeechSec
      ? passed('speech', `${round(speech.speechSec, 2)} s of voice activity`)
      : failed('speech', `${round(speech.speechSec, 2)} s of voice activity, under ${options.minSpeechSec} s`);
  }
  if (result?.emptyReason === 'no speech') return failed('speech', 'the pipeline found no speech');
  if (result?.modalities.transcribe.status === 'succeeded') {
    return audioTranscript(result)
      ? passed('speech', 'speech-to-text heard words (no voice activity document)')
      : failed('speech', 'speech-to-text heard no words (no voice activity document)');
  }
  return notRun('speech', 'neither voice activity nor speech-to-text ran');
}

interface TrackSpeech {
  trackId: string;
  scored: number;
  speaking: number;
  mean: number;
}

function trackSpeech(speakers: ActiveSpeakerFacts): TrackSpeech[] {
  return speakers.tracks.map((track) => {
    const scores = track.scores.filter((score): score is number => score !== null);
    return {
      trackId: track.trackId,
      scored: scores.length,
      speaking: scores.filter((score) => score > 0).length,
      mean: scores.length ? scores.reduce((sum, score) => sum + score, 0) / scores.length : 0,
    };
  });
}

/**
 * One person speaks, and it is the face on screen: from active speaker scores (how well each
 * face's lips move with the sound), and from result.json's people when it lists them.
 */
function speakerChecks({ speakers, faces, result }: Evidence, options: FeedbackOptions): CheckOutcome[] {
  const people = result?.speakers?.filter((person) => person.speakingSec >= 0.5);
  const scoredTracks = speakers && !speakers.reason ? trackSpeech(speakers) : [];
  const speakingTracks = scoredTracks.filter((track) => track.speaking >= options.minSpeakingFrames);

  let oneSpeaker: CheckOutcome;
  if (speakingTracks.length > 1) {
    oneSpeaker = failed(
      'one_speaker',
      `${speakingTracks.length} faces speak (${speakingTracks.map((t) => t.trackId).join(', ')})`,
    );
  } else if (people && people.length > 1) {
    oneSpeaker = failed('one_speaker', `result.json lists ${people.length} people speaking`);
  } else if (scoredTracks.length || people) {
    oneSpeaker = passed('one_speaker');
  } else {
    oneSpeaker = notRun('one_speaker', speakers?.reason ?? 'no active speaker scores');
  }

  const track = faces && mainTrack(faces);
  const main = scoredTracks.find((candidate) => candidate.trackId === track);
  let faceSpeaking: CheckOutcome;
  if (!speakers || speakers.reason) {
    faceSpeaking = notRun('face_speaking', speakers?.reason ?? 'no active speaker scores');
  } else if (!main || main.scored < options.minSpeakingFrames) {
    faceSpeaking = notRun('face_speaking', `the main face has ${main?.scored ?? 0} scored frames`);
  } else if (main.mean > 0) {
    faceSpeaking = passed('face_speaking', `mean active-speaker score ${round(main.mean, 2)}`);
  } else {
    faceSpeaking = failed(
      'face_speaking',
      `mean active-speaker score ${round(main.mean, 2)}: the lips do not follow the voice`,
    );
  }
  return [oneSpeaker, faceSpeaking];
}

/** What speech-to-text heard: the audio side of each segment, never the lip reader's guesses. */
export function audioTranscript(result: Pick<ResultFacts, 'segments'>): string {
  return result.segments
    .map((segment) => segment.audioText)
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Word alignment of what was heard with the prompt: the WER, and how many prompt words at
 * the start or the end were never heard (a recording started late or stopped early).
 */
export function alignToPrompt(prompt: string, heard: string): { wer: number; missingAtEdges: number; words: number } {
  const reference = normaliseText(prompt);
  const hypothesis = normaliseText(heard);
  const steps = alignSequences(
    reference,
    hypothesis,
    (word) => word,
    (word) => word,
  );
  const errors = steps.filter((step) => step.kind !== 'match').length;
  const leading = steps.findIndex((step) => step.kind !== 'deletion');
  const trailing = [...steps].reverse().findIndex((step) => step.kind !== 'deletion');
  const allDeleted = leading === -1;
  const missingAtEdges = allDeleted ? reference.length : leading + trailing;
  return {
    wer: reference.length ? round(errors / reference.length, 4) : 0,
    missingAtEdges,
    words: reference.length,
  };
}

function sentenceCheck(
  result: ResultFacts | undefined,
  recording: Pick<Recording, 'promptText' | 'language'>,
  options: FeedbackOptions,
): CheckOutcome {
  if (!options.werLanguages.includes(recording.language)) {
    return notRun('sentence', `this deployment does not transcribe ${recording.language}`);
  }
  const transcribe = result?.modalities.transcribe;
  if (!result || transcribe?.status !== 'succeeded') {
    return notRun(
      'sentence',
      `speech-to-text ${transcribe?.status ?? 'did not run'}${transcribe?.reason ? `: ${transcribe.reason}` : ''}`,
    );
  }
  const { wer, missingAtEdges, words } = alignToPrompt(recording.promptText, audioTranscript(result));
  if (wer <= options.maxAcceptedWer) return passed('sentence', `WER ${wer}`);
  // Most of the gap is prompt words never heard at the start or end: the take was cut.
  const cut = missingAtEdges >= 2 && missingAtEdges / words >= wer / 2;
  return failed(
    'sentence',
    `${cut ? `cut off: ${missingAtEdges} of ${words} words missing at the edges, ` : ''}WER ${wer} over ${options.maxAcceptedWer}`,
  );
}
