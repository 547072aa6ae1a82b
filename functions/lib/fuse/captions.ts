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

export function toWebVtt(cues: readonly CaptionCue[]): string {
  const blocks = cues.map((cue, index) => {
    const text = cue.lines.map(escapeVttText).join('\n');
    return `${index + 1}\n${timestamp(cue.start, '.')} --> ${timestamp(cue.end, '.')}\n<v ${voiceName(cue.speaker)}>${text}`;
  });
  return ['WEBVTT', ...blocks].join('\n\n') + '\n';
}

export function toSrt(cues: readonly CaptionCue[]): string {
  return cues
    .map((cue, index) => {
      const [first = '', ...rest] = cue.lines;
      const text = [speakerPrefix(cue.speaker) + first, ...rest].join('\n');
      return `${index + 1}\n${timestamp(cue.start, ',')} --> ${timestamp(cue.end, ',')}\n${text}\n`;
    })
    .join('\n');
}
