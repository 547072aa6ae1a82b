import { speakerPrefix, type CaptionCue } from './cues';

function timestamp(seconds: number, fractionSeparator: '.' | ','): string {
  const totalMs = Math.max(0, Math.round(seconds * 1000));
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  const hours = Math.floor(totalMs / 3_600_000);
  const minutes = Math.floor(totalMs / 60_000) % 60;
  const secs = Math.floor(totalMs / 1000) % 60;
  return `${pad(hours)}:${pad(minutes)}:${pad(secs)}${fractionSeparator}${pad(totalMs % 1000, 3)}`;
}

/** WebVTT cue text must not carry raw markup characters. */
export function escapeVttText(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** A voice annotation ends at '>' and may not hold line breaks. */
const voiceName = (speaker: string) => speaker.replace(/[<>&\r\n]/g, '_');

/** Whether each cue starts a new speaker's turn (the first cue always does). */
function speakerChanges(cues: readonly CaptionCue[]): boolean[] {
  return cues.map((cue, index) => index === 0 || cues[index - 1]?.speaker !== cue.speaker);
}

/** Each cue's lines, the first with the visible name when the speaker changes there. */
function namedLines(cue: CaptionCue, changes: boolean): string[] {
  const [first = '', ...rest] = cue.lines;
  return [(changes ? speakerPrefix(cue.speaker) : '') + first, ...rest];
}

/** Each cue's WebVTT payload: its voice span, and the name shown when the speaker changes. */
export function webVttCueTexts(cues: readonly CaptionCue[]): string[] {
  const changes = speakerChanges(cues);
  return cues.map((cue, index) => {
    const text = namedLines(cue, changes[index] ?? true)
      .map(escapeVttText)
      .join('\n');
    return `<v ${voiceName(cue.speaker)}>${text}`;
  });
}

/** WebVTT: every cue in a voice span `<v Speaker 1>`, and the name shown when the speaker changes. */
export function toWebVtt(cues: readonly CaptionCue[], notes: readonly string[] = []): string {
  const texts = webVttCueTexts(cues);
  const blocks = cues.map(
    (cue, index) => `${index + 1}\n${timestamp(cue.start, '.')} --> ${timestamp(cue.end, '.')}\n${texts[index] ?? ''}`,
  );
  const noteBlocks = notes.map((note) => `NOTE ${note.replace(/-->/g, '->').replace(/\n+/g, ' ')}`);
  return ['WEBVTT', ...noteBlocks, ...blocks].join('\n\n') + '\n';
}

/** SRT: the visible name when the speaker changes (SRT has no voice spans). */
export function toSrt(cues: readonly CaptionCue[]): string {
  const changes = speakerChanges(cues);
  return cues
    .map((cue, index) => {
      const text = namedLines(cue, changes[index] ?? true).join('\n');
      return `${index + 1}\n${timestamp(cue.start, ',')} --> ${timestamp(cue.end, ',')}\n${text}\n`;
    })
    .join('\n');
}
