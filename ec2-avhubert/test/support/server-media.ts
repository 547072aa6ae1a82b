import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Debian's ffmpeg, as the server uses locally. */
export const FFMPEG = process.env.GORGGLE_FFMPEG ?? 'ffmpeg';

const ffmpeg = (...args: string[]) =>
  run(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-y', ...args], { maxBuffer: 16 * 1024 * 1024 });

/** 25 fps H.264 + AAC in MP4: the shape extract-media hands the server. */
const MP4_25FPS = '-r 25 -c:v libx264 -preset veryfast -pix_fmt yuv420p -c:a aac'.split(' ');

export async function toMp4(source: string, target: string): Promise<string> {
  await ffmpeg('-i', source, ...MP4_25FPS, target);
  return target;
}

/** Clips repeated in turn until `seconds` long, re-encoded as one MP4. */
export async function concatClips(sources: string[], seconds: number, target: string): Promise<string> {
  const list = path.join(path.dirname(target), `${path.basename(target)}.concat.txt`);
  const lines: string[] = [];
  for (let i = 0; lines.length * 3 < seconds + 3; i += 1) {
    lines.push(`file '${sources[i % sources.length]!.replaceAll("'", "'\\''")}'`);
  }
  await writeFile(list, `${lines.join('\n')}\n`);
  await ffmpeg('-f', 'concat', '-safe', '0', '-i', list, '-t', String(seconds), ...MP4_25FPS, target);
  return target;
}

/** Colour bars and a tone: a valid video with no face in it. */
export async function noFaceVideo(target: string, seconds = 2): Promise<string> {
  const bars = `testsrc2=size=360x288:rate=25:duration=${seconds}`;
  const tone = `sine=frequency=440:duration=${seconds}`;
  await ffmpeg('-f', 'lavfi', '-i', bars, '-f', 'lavfi', '-i', tone, ...MP4_25FPS, '-shortest', target);
  return target;
}

/** An MP4 with an audio stream and no video stream at all. */
export async function audioOnlyMp4(target: string, seconds = 2): Promise<string> {
  await ffmpeg('-f', 'lavfi', '-i', `sine=frequency=300:duration=${seconds}`, '-c:a', 'aac', target);
  return target;
}

/** Bytes that no demuxer accepts. */
export async function corruptVideo(target: string): Promise<string> {
  const junk = Buffer.alloc(64 * 1024);
  for (let i = 0; i < junk.length; i += 1) junk[i] = (i * 7919 + 13) % 251;
  await writeFile(target, junk);
  return target;
}
