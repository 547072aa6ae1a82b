import { speechDocumentSchema, type SpeechDocument } from '../contracts/documents';
import { pcmDurationSec, type PcmAudio } from '../media/wav';

/** A voice activity model: the probability of speech in each short window of 16 kHz audio. */
export interface VoiceActivityDetector {
  readonly model: { name: 'silero-vad'; sha256: string };
  /** Seconds each probability covers; window i starts at i * windowSec. */
  readonly windowSec: number;
  speechProbabilities(audio: PcmAudio): Promise<Float32Array>;
}

export type SpeechSettings = SpeechDocument['settings'];
export type SpeechSegment = SpeechDocument['segments'][number];

/** Silero's own defaults: speech above 0.5, out of speech below 0.35, 250 ms speech, 100 ms pauses, 30 ms padding. */
export const DEFAULT_SPEECH_SETTINGS: SpeechSettings = {
  threshold: 0.5,
  minSpeechSec: 0.25,
  minSilenceSec: 0.1,
  padSec: 0.03,
};

/** Below this a segment that has started ends: hysteresis keeps a soft syllable inside its word. */
const exitThreshold = (settings: SpeechSettings) => Math.max(settings.threshold - 0.15, 0.01);

const roundMs = (seconds: number) => Math.round(seconds * 1000) / 1000;

/**
 * Turns per-window speech probabilities into speech segments. Speech starts at the first
 * window at or above the threshold and ends where the probability stays below the exit
 * threshold for minSilenceSec; segments shorter than minSpeechSec are dropped. Each segment is
 * then padded by padSec, and neighbours closer than two pads meet halfway.
 */
export function speechSegments(
  probabilities: ArrayLike<number>,
  windowSec: number,
  durationSec: number,
  settings: SpeechSettings = DEFAULT_SPEECH_SETTINGS,
): SpeechSegment[] {
  const raw: SpeechSegment[] = [];
  const exit = exitThreshold(settings);
  let start: number | undefined;
  let silenceSince: number | undefined;
  const close = (end: number) => {
    if (start !== undefined && end - start > settings.minSpeechSec) raw.push({ start, end });
    start = undefined;
    silenceSince = undefined;
  };
  for (let index = 0; index < probabilities.length; index++) {
    const probability = probabilities[index] ?? 0;
    const time = index * windowSec;
    if (probability >= settings.threshold) {
      silenceSince = undefined;
      start ??= time;
    } else if (start !== undefined && probability < exit) {
      silenceSince ??= time;
      if (time - silenceSince >= settings.minSilenceSec) close(silenceSince);
    }
  }
  close(durationSec);

  return raw.map((segment, index) => {
    const previous = raw[index - 1];
    const next = raw[index + 1];
    const padBefore = previous ? Math.min(settings.padSec, (segment.start - previous.end) / 2) : settings.padSec;
    const padAfter = next ? Math.min(settings.padSec, (next.start - segment.end) / 2) : settings.padSec;
    return {
      start: roundMs(Math.max(0, segment.start - padBefore)),
      end: roundMs(Math.min(durationSec, segment.end + padAfter)),
    };
  });
}

export const speechSecondsOf = (segments: readonly SpeechSegment[]) =>
  roundMs(segments.reduce((total, segment) => total + (segment.end - segment.start), 0));

/** speech.json for one job's audio. */
export async function detectSpeech(
  audio: PcmAudio,
  detector: VoiceActivityDetector,
  settings: SpeechSettings = DEFAULT_SPEECH_SETTINGS,
): Promise<SpeechDocument> {
  const durationSec = pcmDurationSec(audio);
  const probabilities = await detector.speechProbabilities(audio);
  const segments = speechSegments(probabilities, detector.windowSec, durationSec, settings);
  return speechDocumentSchema.parse({
    version: 1,
    model: detector.model,
    sampleRate: audio.sampleRate,
    durationSec: roundMs(durationSec),
    settings,
    segments,
    speechSec: speechSecondsOf(segments),
  });
}
