/**
 * The static ffmpeg and ffprobe that scripts/setup/build-ffmpeg.sh leaves in .gorggle/ffmpeg,
 * and the check every build runs before it ships them: both binaries are the ones BUILD-INFO
 * names (sha256), and they are one build (`-version` says the same apart from the name).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const STATIC_FFMPEG_DIR = path.resolve(import.meta.dirname, '..', '..', '.gorggle', 'ffmpeg');
export const STATIC_FFMPEG = path.join(STATIC_FFMPEG_DIR, 'ffmpeg');
export const STATIC_FFPROBE = path.join(STATIC_FFMPEG_DIR, 'ffprobe');

export class StaticFfmpegError extends Error {
  override readonly name = 'StaticFfmpegError';
}

/** `ffmpeg version 7.1.5 Copyright (c) 2000-2025 …`, its build and configuration lines, without what differs by program. */
export function versionBanner(binary: string): string {
  const text = execFileSync(binary, ['-hide_banner', '-version'], {
    encoding: 'utf8',
    env: { GCONV_PATH: '', LC_ALL: 'C' },
    timeout: 30_000,
  });
  return (
    text
      .split('\n')
      .slice(0, 3)
      .join('\n')
      .replace(/^ff(mpeg|probe) version/, 'version')
      // Each program names its own first year (ffprobe's is 2007).
      .replace(/Copyright \(c\) \d{4}-/, 'Copyright (c) ')
  );
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** Throws, saying what to do, unless both binaries are there, pinned and of one build. */
export function checkStaticFfmpeg(dir = STATIC_FFMPEG_DIR): { version: string } {
  const ffmpeg = path.join(dir, 'ffmpeg');
  const ffprobe = path.join(dir, 'ffprobe');
  const buildInfo = path.join(dir, 'BUILD-INFO');
  if (![ffmpeg, ffprobe, buildInfo].every(existsSync)) {
    throw new StaticFfmpegError(`The static ffmpeg is missing from ${dir}: run \`make ffmpeg\`.`);
  }
  const info = readFileSync(buildInfo, 'utf8');
  for (const [name, file] of [
    ['ffmpeg', ffmpeg],
    ['ffprobe', ffprobe],
  ] as const) {
    const pinned = new RegExp(`^${name} sha256: ([0-9a-f]{64})$`, 'm').exec(info)?.[1];
    if (!pinned || pinned !== sha256(file)) {
      throw new StaticFfmpegError(
        `${file} is not the binary its BUILD-INFO pins (sha256 ${pinned ?? 'missing'}): rebuild it with \`make ffmpeg\`.`,
      );
    }
  }
  const ffmpegVersion = versionBanner(ffmpeg);
  const ffprobeVersion = versionBanner(ffprobe);
  if (ffmpegVersion !== ffprobeVersion) {
    throw new StaticFfmpegError(
      `ffmpeg and ffprobe are different builds:\n${ffmpegVersion}\n---\n${ffprobeVersion}\nRebuild both with \`make ffmpeg\`.`,
    );
  }
  return { version: /^version (\S+)/.exec(ffmpegVersion)?.[1] ?? 'unknown' };
}
