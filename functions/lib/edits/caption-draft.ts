/**
 * The caption editor's operations, as pure functions over a draft (names and edited
 * segments). The web page runs them as a person edits; the API and the CLI apply a saved
 * draft to result.json. No zod here: the page bundles this file.
 */
import type { EditedSegment, EditedWord, EditsDocument, ResultDocument, SpeakerName } from '../contracts/documents';
import { UNKNOWN_SPEAKER, UNKNOWN_SPEAKER_LABEL } from '../contracts/speaker-ids';

export interface CaptionDraft {
  speakers: SpeakerName[];
  segments: EditedSegment[];
}

/** The shortest caption a move leaves, so start never passes end. */
export const MIN_SEGMENT_SEC = 0.05;

const round = (value: number) => Math.round(value * 1000) / 1000;
const clamp = (value: number, low: number, high: number) => Math.min(high, Math.max(low, value));

/** Version 0: the result as fuse wrote it, as a draft. */
export function draftOfResult(result: Pick<ResultDocument, 'segments'>): CaptionDraft {
  return {
    speakers: [],
    segments: result.segments
      .filter((segment) => segment.words.length > 0)
      .map((segment) => ({
        start: segment.start,
        end: segment.end,
        speaker: segment.speaker,
        words: segment.words.map((word) => ({
          start: word.start,
          end: word.end,
          text: word.text,
          confidence: word.confidence,
          source: word.source,
        })),
      })),
  };
}

export function draftOfEdits(edits: Pick<EditsDocument, 'speakers' | 'segments'>): CaptionDraft {
  return { speakers: edits.speakers, segments: edits.segments };
}

/** A name, or the default when it is empty or the same as the default. */
export function renameSpeaker(draft: CaptionDraft, speaker: { id: string; label: string }, name: string): CaptionDraft {
  const trimmed = name.trim();
  const others = draft.speakers.filter((entry) => entry.id !== speaker.id);
  return {
    ...draft,
    speakers: trimmed && trimmed !== speaker.label ? [...others, { id: speaker.id, name: trimmed }] : others,
  };
}

export const tokensOf = (text: string) => text.split(/\s+/).filter((token) => token.length > 0);

/**
 * Spreads tokens over a time span by their length, so a longer word gets more time. Each
 * token takes its source from the word at the same relative place in the old words.
 */
function spread(tokens: readonly string[], start: number, end: number, old: readonly EditedWord[]): EditedWord[] {
  const weights = tokens.map((token) => token.length + 1);
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  let at = start;
  return tokens.map((text, index) => {
    const length = ((end - start) * (weights[index] ?? 1)) / total;
    const from = old[Math.min(old.length - 1, Math.floor((index * old.length) / tokens.length))];
    const word: EditedWord = {
      start: round(at),
      end: round(index === tokens.length - 1 ? end : at + length),
      text,
      confidence: 1,
      source: from?.source ?? 'audio',
      edited: true,
    };
    at += length;
    return word;
  });
}

/**
 * A caption's new text. With as many words as before, each word keeps its time (and is
 * marked edited only if its text changed); otherwise the words are spread over the caption.
 * Undefined when no word is left: the caller removes the caption.
 */
export function setSegmentText(segment: EditedSegment, text: string): EditedSegment | undefined {
  const tokens = tokensOf(text);
  if (tokens.length === 0) return undefined;
  if (tokens.length === segment.words.length) {
    return {
      ...segment,
      words: segment.words.map((word, index) => {
        const token = tokens[index] ?? word.text;
        return token === word.text ? word : { ...word, text: token, confidence: 1, edited: true };
      }),
    };
  }
  return { ...segment, words: spread(tokens, segment.start, segment.end, segment.words) };
}

/** One word's new text: several tokens share its time; none removes it. */
export function setWordText(segment: EditedSegment, wordIndex: number, text: string): EditedSegment | undefined {
  const word = segment.words[wordIndex];
  if (!word) return segment;
  const tokens = tokensOf(text);
  if (tokens.length === 1 && tokens[0] === word.text) return segment;
  const replacement = tokens.length ? spread(tokens, word.start, word.end, [word]) : [];
  const words = [...segment.words.slice(0, wordIndex), ...replacement, ...segment.words.slice(wordIndex + 1)];
  return words.length ? { ...segment, words } : undefined;
}

/** Splits caption `index` before word `wordIndex`: that word starts a new caption. */
export function splitSegment(segments: readonly EditedSegment[], index: number, wordIndex: number): EditedSegment[] {
  const segment = segments[index];
  if (!segment || wordIndex <= 0 || wordIndex >= segment.words.length) return [...segments];
  const before = segment.words.slice(0, wordIndex);
  const after = segment.words.slice(wordIndex);
  const first: EditedSegment = { ...segment, end: before.at(-1)?.end ?? segment.end, words: before };
  const second: EditedSegment = { ...segment, start: after[0]?.start ?? segment.start, words: after };
  return [...segments.slice(0, index), first, second, ...segments.slice(index + 1)];
}

/** Merges caption `index` with the next one; the merged caption keeps the first one's speaker. */
export function mergeWithNext(segments: readonly EditedSegment[], index: number): EditedSegment[] {
  const first = segments[index];
  const second = segments[index + 1];
  if (!first || !second) return [...segments];
  const merged: EditedSegment = {
    start: Math.min(first.start, second.start),
    end: Math.max(first.end, second.end),
    speaker: first.speaker,
    words: [...first.words, ...second.words],
  };
  return [...segments.slice(0, index), merged, ...segments.slice(index + 2)];
}

/**
 * Moves a caption's start or end, within [0, duration] and never past each other. The words
 * follow: the first starts no later than the caption, the last ends no earlier, and none
 * sticks out of it.
 */
export function moveSegment(
  segment: EditedSegment,
  change: { start?: number; end?: number },
  durationSec: number,
): EditedSegment {
  const limit = Math.max(durationSec, segment.end);
  const end = round(clamp(change.end ?? segment.end, MIN_SEGMENT_SEC, limit));
  const start = round(clamp(change.start ?? segment.start, 0, end - MIN_SEGMENT_SEC));
  const last = segment.words.length - 1;
  const words = segment.words.map((word, index) => {
    const wordStart = clamp(index === 0 ? start : word.start, start, end);
    const wordEnd = clamp(index === last ? end : word.end, wordStart, end);
    return wordStart === word.start && wordEnd === word.end
      ? word
      : { ...word, start: round(wordStart), end: round(wordEnd) };
  });
  return { ...segment, start, end, words };
}

/** Names by speaker id: a given name, else result.json's label. */
export function speakerLabels(
  speakers: ResultDocument['speakers'],
  names: readonly SpeakerName[],
): (id: string) => string {
  const given = new Map(names.map((entry) => [entry.id, entry.name]));
  const labels = new Map(speakers.map((speaker) => [speaker.id, given.get(speaker.id) ?? speaker.label]));
  return (id) => labels.get(id) ?? UNKNOWN_SPEAKER_LABEL;
}

const overlap = (a: { start: number; end: number }, b: { start: number; end: number }) =>
  Math.min(a.end, b.end) - Math.max(a.start, b.start);

/**
 * result.json with a draft applied: names as labels, the edited captions as segments. What a
 * segment keeps from fuse (its voice, face and speaking score) comes from the original
 * segment of the same speaker it overlaps most; its audio and visual text only when its
 * span is unchanged, since they no longer describe a caption that was split or moved.
 */
export function applyDraft(
  result: ResultDocument,
  draft: CaptionDraft,
  version?: { version: number; savedAt: string },
): ResultDocument {
  const label = speakerLabels(result.speakers, draft.speakers);
  const segments: ResultDocument['segments'] = [...draft.segments]
    .sort((a, b) => a.start - b.start)
    .map((segment) => {
      const origin = result.segments
        .filter((candidate) => candidate.speaker === segment.speaker)
        .map((candidate) => ({ candidate, shared: overlap(candidate, segment) }))
        .filter(({ shared }) => shared >= 0)
        .sort((a, b) => b.shared - a.shared)[0]?.candidate;
      const sameSpan = origin && origin.start === segment.start && origin.end === segment.end;
      const confidence = segment.words.reduce((sum, word) => sum + word.confidence, 0) / segment.words.length;
      return {
        start: segment.start,
        end: segment.end,
        speaker: segment.speaker,
        ...(origin?.voice !== undefined ? { voice: origin.voice } : {}),
        text: segment.words.map((word) => word.text).join(' '),
        confidence: round(confidence),
        audioText: sameSpan ? origin.audioText : '',
        visualText: sameSpan ? origin.visualText : '',
        ...(origin?.face ? { face: origin.face } : {}),
        ...(origin?.speakingScore !== undefined ? { speakingScore: origin.speakingScore } : {}),
        words: segment.words.map((word) => ({
          start: word.start,
          end: word.end,
          text: word.text,
          confidence: word.confidence,
          source: word.source,
          speaker: segment.speaker,
          ...(word.edited ? { edited: true } : {}),
        })),
      };
    });
  const words = segments.reduce((sum, segment) => sum + segment.words.length, 0);
  return {
    ...result,
    speakers: result.speakers.map((speaker) => ({ ...speaker, label: label(speaker.id) })),
    segments,
    metrics: { ...result.metrics, words },
    ...(version ? { edits: version } : {}),
  };
}

export { UNKNOWN_SPEAKER };
