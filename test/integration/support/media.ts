/** Inputs and checks for the integration tests: synthetic media made with ffmpeg, and a WebVTT reader. */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseTranscriptsTsv, type ReferenceClip } from '../../../scripts/gorggle-cli/evaluate';
import { GRID_DIR, TWO_SPEAKER_TOOL } from '../../support/paths';

const run = promisify(execFile);

async function ffmpeg(args: string[]): Promise<void> {
  await run('ffmpeg', ['-v', 'error', '-nostdin', '-y', ...args]);
}

/** A GRID speaker's voice and no picture: speech to transcribe, nothing to see. */
export async function makeAudioOnlyClip(dir: string, speechClip: string): Promise<string> {
  const out = path.join(dir, 'speech-audio-only.mp4');
  await ffmpeg(['-i', speechClip, '-vn', '-c:a', 'aac', out]);
  return out;
}

/** A GRID speaker's voice over a moving test pattern: speech, but no face anywhere. */
export async function makeFacelessClip(dir: string, speechClip: string): Promise<string> {
  const out = path.join(dir, 'speech-no-face.mp4');
  await ffmpeg([
    ...['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=3', '-i', speechClip],
    ...['-map', '0:v', '-map', '1:a', '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p'],
    ...['-c:a', 'aac', '-shortest', out],
  ]);
  return out;
}

/** A GRID speaker's face with the sound taken away: lips to read, nothing to hear. */
export async function makeSilentClip(dir: string, faceClip: string): Promise<string> {
  const out = path.join(dir, 'face-no-audio.mp4');
  await ffmpeg(['-i', faceClip, '-an', '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', out]);
  return out;
}

/**
 * Two GRID clips side by side for 6 s (../shared/tools/make-two-speaker-clip.sh): the left
 * person speaks for 0-3 s, the right one for 3-6 s, each listening while the other talks.
 */
export async function makeTwoSpeakerClip(
  dir: string,
  left: string,
  right: string,
  bothTalking = false,
): Promise<string> {
  const out = path.join(dir, `two-${path.parse(left).name}-${path.parse(right).name}${bothTalking ? '-both' : ''}.mp4`);
  await run('bash', [
    TWO_SPEAKER_TOOL,
    ...(bothTalking ? ['--both-talking'] : []),
    path.join(GRID_DIR, left),
    path.join(GRID_DIR, right),
    out,
  ]);
  return out;
}

/** A GRID clip's sound alone, as an .mp3. */
export async function makeGridMp3(dir: string, clip: string): Promise<string> {
  const out = path.join(dir, `${path.parse(clip).name}.mp3`);
  await ffmpeg(['-i', path.join(GRID_DIR, clip), '-vn', '-c:a', 'libmp3lame', '-b:a', '64k', out]);
  return out;
}

/** A GRID clip's picture alone: a face speaking, no sound stream. */
export async function makeGridVideoOnly(dir: string, clip: string): Promise<string> {
  const out = path.join(dir, `${path.parse(clip).name}-video-only.mp4`);
  await ffmpeg(['-i', path.join(GRID_DIR, clip), '-an', '-c:v', 'libx264', '-preset', 'veryfast', out]);
  return out;
}

/** A GRID clip's picture with a silent sound track: a face, and no speech. */
export async function makeGridSilent(dir: string, clip: string): Promise<string> {
  const out = path.join(dir, `${path.parse(clip).name}-silent.mp4`);
  await ffmpeg([
    ...['-i', path.join(GRID_DIR, clip), '-f', 'lavfi', '-i', 'anullsrc=r=16000:cl=mono'],
    ...['-map', '0:v', '-map', '1:a', '-shortest', '-c:v', 'libx264', '-preset', 'veryfast', '-c:a', 'aac', out],
  ]);
  return out;
}

export function makeEmptyFile(dir: string, name = 'empty.mp4'): string {
  const out = path.join(dir, name);
  writeFileSync(out, '');
  return out;
}

export function makeTextFile(dir: string, name = 'notes.mp4'): string {
  const out = path.join(dir, name);
  writeFileSync(out, 'These are meeting notes, not a video.\n'.repeat(20));
  return out;
}

export function gridReferences(): ReferenceClip[] {
  return parseTranscriptsTsv(readFileSync(path.join(GRID_DIR, 'transcripts.tsv'), 'utf8'));
}

export interface VttCue {
  start: number;
  end: number;
  text: string;
}

const timestamp = (value: string): number => {
  const match = /^(?:(\d+):)?(\d{2}):(\d{2})\.(\d{3})$/.exec(value.trim());
  if (!match) throw new Error(`"${value}" is not a WebVTT timestamp`);
  const [, hours = '0', minutes = '0', seconds = '0', millis = '0'] = match;
  return Number(hours) * 3600 + Number(minutes) * 60 + Number(seconds) + Number(millis) / 1000;
};

/** Strict enough for our captions: the header, then cues of `[id]`, `start --> end`, text lines. */
export function parseWebVtt(text: string): VttCue[] {
  const blocks = text
    .replace(/\r\n/g, '\n')
    .trim()
    .split(/\n{2,}/);
  const header = blocks.shift() ?? '';
  if (!/^WEBVTT(?:[ \t].*)?$/.test(header.split('\n')[0] ?? ''))
    throw new Error('The file does not start with WEBVTT.');
  return blocks.map((block) => {
    const lines = block.split('\n');
    const timing = lines.findIndex((line) => line.includes('-->'));
    if (timing < 0) throw new Error(`A cue has no timing line: ${JSON.stringify(block)}`);
    const [start = '', rest = ''] = (lines[timing] ?? '').split('-->');
    const end = rest.trim().split(/\s+/)[0] ?? '';
    return { start: timestamp(start), end: timestamp(end), text: lines.slice(timing + 1).join('\n') };
  });
}
