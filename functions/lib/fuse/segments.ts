import type { LipReadingDocument } from '../contracts/documents';
import { mean, type AudioWord, type TimedWord } from './words';

/** A silence longer than this ends a segment (and a caption cue). */
export const PAUSE_SEC = 0.7;
/** A visual word just outside an audio segment still belongs to it within this gap. */
export const VISUAL_ATTACH_GAP_SEC = 0.5;

export interface SpeechSegment {
  start: number;
  end: number;
  /** Transcribe's label; absent for segments only the lips saw. */
  speaker?: string;
  audio: TimedWord[];
  visual: TimedWord[];
}

/**
 * Each voice's words, split on pauses. A voice's turn ends when another voice's turn
 * starts after it; a voice that starts while another still talks leaves that one open, so
 * overlapping speech gives two segments side by side rather than one-word fragments.
 */
export function splitAudioIntoSegments(words: readonly AudioWord[], pauseSec = PAUSE_SEC): SpeechSegment[] {
  const segments: SpeechSegment[] = [];
  const open = new Map<string, SpeechSegment>();
  for (const word of [...words].sort((a, b) => a.start - b.start)) {
    let current = open.get(word.speaker);
    if (!current || word.start - current.end > pauseSec) {
      current = { start: word.start, end: word.end, speaker: word.speaker, audio: [], visual: [] };
      segments.push(current);
      open.set(word.speaker, current);
      for (const [voice, other] of open) {
        if (voice !== word.speaker && other.end <= word.start) open.delete(voice);
      }
    }
    current.audio.push(word);
    current.end = Math.max(current.end, word.end);
  }
  return segments;
}

/** Lip-reading words grouped by the server's segments; text without word times is spread evenly. */
export function visualWordGroups(document: LipReadingDocument): TimedWord[][] {
  return document.segments
    .map((segment) => {
      if (segment.words.length) return [...segment.words].sort((a, b) => a.start - b.start);
      const texts = segment.text.split(/\s+/).filter(Boolean);
      const step = (segment.end - segment.start) / Math.max(texts.length, 1);
      return texts.map((text, index) => ({
        start: segment.start + index * step,
        end: segment.start + (index + 1) * step,
        text,
        confidence: segment.confidence,
      }));
    })
    .filter((group) => group.length > 0);
}

type Span = { start: number; end: number };
const overlap = (word: TimedWord, segment: Span) =>
  Math.min(word.end, segment.end) - Math.max(word.start, segment.start);
const gap = (word: TimedWord, segment: Span) => Math.max(segment.start - word.end, word.start - segment.end, 0);

/**
 * Speech segments come from the audio; each visual word joins the audio segment it
 * overlaps most (or the nearest one close by). Visual words far from any speech become
 * visual-only segments. Without audio, the lip-reading segments are the segments.
 */
export function buildSegments(audioWords: readonly AudioWord[], visualGroups: readonly TimedWord[][]): SpeechSegment[] {
  const segments = splitAudioIntoSegments(audioWords);
  const visualOnly: SpeechSegment[] = [];
  for (const group of visualGroups) {
    const leftovers: TimedWord[] = [];
    for (const word of group) {
      const home = bestSegmentFor(word, segments);
      if (home) home.visual.push(word);
      else leftovers.push(word);
    }
    const [first] = leftovers;
    const last = leftovers.at(-1);
    if (first && last) visualOnly.push({ start: first.start, end: last.end, audio: [], visual: leftovers });
  }
  for (const segment of segments) segment.visual.sort((a, b) => a.start - b.start);
  return [...segments, ...visualOnly].sort((a, b) => a.start - b.start);
}

/** The span a visual word belongs to: the one it overlaps most, else the nearest within VISUAL_ATTACH_GAP_SEC. */
export function bestSegmentFor<S extends { start: number; end: number }>(
  word: TimedWord,
  segments: readonly S[],
): S | undefined {
  let best: S | undefined;
  let bestOverlap = 0;
  for (const segment of segments) {
    const shared = overlap(word, segment);
    if (shared > bestOverlap) [best, bestOverlap] = [segment, shared];
  }
  if (best) return best;
  let nearest: S | undefined;
  let nearestGap = VISUAL_ATTACH_GAP_SEC;
  for (const segment of segments) {
    const distance = gap(word, segment);
    if (distance <= nearestGap) [nearest, nearestGap] = [segment, distance];
  }
  return nearest;
}

export const segmentConfidence = (words: readonly TimedWord[]) => mean(words.map((word) => word.confidence));
