/**
 * Uploads an attacker would send, made small and fast with Debian's ffmpeg (test media
 * generation only; the product runs the static build):
 * - a polyglot: an HLS playlist named .mp4 that points at another local file, followed by an
 *   MPEG program stream so that a probe calls the whole file MPEG;
 * - a 5-hour 16×16 video at 1 fps, a few hundred KB, that would cost hours of every service.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function debianFfmpeg(args: string[]): Promise<void> {
  await run('ffmpeg', ['-v', 'error', '-nostdin', '-y', ...args]);
}

export interface SecretWav {
  path: string;
  /** Samples from the middle of the file: they would turn up byte for byte in a 16 kHz mono s16le output. */
  marker: Buffer;
}

/**
 * A local file the attacker wants to read: 16 kHz mono s16le noise, exactly what extract's
 * audio.wav holds, so any of it decoded into an output would appear there unchanged.
 */
export async function makeSecretWav(dir: string): Promise<SecretWav> {
  const raw = path.join(dir, 'secret.raw');
  const wav = path.join(dir, 'secret.wav');
  await writeFile(raw, randomBytes(16_000 * 2 * 2));
  await debianFfmpeg(['-f', 's16le', '-ar', '16000', '-ac', '1', '-i', raw, '-c:a', 'pcm_s16le', wav]);
  const bytes = await readFile(wav);
  return { path: wav, marker: bytes.subarray(bytes.length / 2, bytes.length / 2 + 1024) };
}

/** The polyglot of issue 13: an HLS playlist for `target`, then an MPEG program stream. */
export async function makeHlsPolyglot(dir: string, target: string, name = 'polyglot.mp4'): Promise<string> {
  const tail = path.join(dir, 'tail.mpg');
  await debianFfmpeg([
    ...['-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=25:duration=2'],
    ...['-f', 'lavfi', '-i', 'sine=frequency=300:duration=2'],
    ...['-c:v', 'mpeg1video', '-c:a', 'mp2', '-f', 'mpeg', tail],
  ]);
  const playlist = [
    '#EXTM3U',
    '#EXT-X-VERSION:3',
    '#EXT-X-TARGETDURATION:10',
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXTINF:10.0,',
    `file://${target}`,
    '#EXT-X-ENDLIST',
    '',
  ].join('\n');
  const file = path.join(dir, name);
  await writeFile(file, Buffer.concat([Buffer.from(playlist), await readFile(tail)]));
  return file;
}

/** Five hours of 16×16 H.264 at 1 fps (about 250 KB, made in a few seconds). */
export async function makeFiveHourClip(dir: string, name = 'five-hours.mp4'): Promise<string> {
  const file = path.join(dir, name);
  await debianFfmpeg([
    ...['-f', 'lavfi', '-i', 'color=c=gray:s=16x16:r=1:d=18000'],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '3600', file],
  ]);
  return file;
}

/** True when `marker` occurs anywhere in `bytes`. */
export const contains = (bytes: Buffer, marker: Buffer) => bytes.indexOf(marker) !== -1;
