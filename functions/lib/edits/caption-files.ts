/**
 * Caption files from a result (edited or not) by the layout rules: the fused track from its
 * segments, and each modality's track from that modality's own words, named after the
 * speaker of the caption they fall in. No zod: the page builds its live track with it.
 */
import type { ResultDocument } from '../contracts/documents';
import { UNKNOWN_SPEAKER_LABEL } from '../contracts/speaker-ids';
import { toSrt, toWebVtt } from '../fuse/captions';
import {
  buildCues,
  DEFAULT_LAYOUT,
  type CaptionBlock,
  type CaptionCue,
  type CueWord,
  type LayoutRules,
} from '../fuse/cues';

export type CaptionFormat = 'vtt' | 'srt' | 'json';

/** Display names by speaker id, from the result's (possibly renamed) labels. */
export function labelsOf(result: Pick<ResultDocument, 'speakers'>): (id: string) => string {
  const labels = new Map(result.speakers.map((speaker) => [speaker.id, speaker.label]));
  return (id) => labels.get(id) ?? UNKNOWN_SPEAKER_LABEL;
}

/** The fused track: one block per segment, named by its speaker's label. */
export function fusedCues(
  result: Pick<ResultDocument, 'speakers' | 'segments'>,
  rules: LayoutRules = DEFAULT_LAYOUT,
): CaptionCue[] {
  const label = labelsOf(result);
  return buildCues(
    result.segments.map((segment) => ({ speaker: label(segment.speaker), words: segment.words })),
    rules,
  );
}

/**
 * A modality's track: its words (transcribe.json's or lipreading.json's), each named after
 * the segment it falls in, or the nearest one; consecutive words of one speaker form a block.
 */
export function modalityCues(
  result: Pick<ResultDocument, 'speakers' | 'segments'>,
  words: readonly CueWord[],
  rules: LayoutRules = DEFAULT_LAYOUT,
  fixedSpeaker?: string,
): CaptionCue[] {
  const label = labelsOf(result);
  const speakerAt = (word: CueWord): string => {
    if (fixedSpeaker) return fixedSpeaker;
    const middle = (word.start + word.end) / 2;
    let best: { distance: number; speaker: string } | undefined;
    for (const segment of result.segments) {
      const distance =
        middle < segment.start ? segment.start - middle : middle > segment.end ? middle - segment.end : 0;
      if (!best || distance < best.distance) best = { distance, speaker: segment.speaker };
    }
    return best ? label(best.speaker) : UNKNOWN_SPEAKER_LABEL;
  };
  const blocks: Array<{ speaker: string; words: CueWord[] }> = [];
  for (const word of [...words].sort((a, b) => a.start - b.start)) {
    const speaker = speakerAt(word);
    const block = blocks.at(-1);
    if (block && block.speaker === speaker) block.words.push(word);
    else blocks.push({ speaker, words: [word] });
  }
  return buildCues(blocks satisfies CaptionBlock[], rules);
}

export function captionText(cues: readonly CaptionCue[], format: 'vtt' | 'srt', notes: readonly string[] = []): string {
  return format === 'vtt' ? toWebVtt(cues, notes) : toSrt(cues);
}

/** Says in the file which version it shows (WebVTT only: SRT has no comments; its file name says it). */
export function versionNote(result: Pick<ResultDocument, 'jobId' | 'edits'>): string {
  return result.edits
    ? `Gorggle job ${result.jobId}, edited captions version ${result.edits.version} (saved ${result.edits.savedAt}).`
    : `Gorggle job ${result.jobId}, captions as produced (no edits).`;
}

export const CONTENT_TYPES: Record<CaptionFormat, string> = {
  vtt: 'text/vtt; charset=utf-8',
  srt: 'application/x-subrip; charset=utf-8',
  json: 'application/json; charset=utf-8',
};
