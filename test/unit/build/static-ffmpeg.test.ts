import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkStaticFfmpeg, STATIC_FFMPEG_DIR } from '../../../scripts/build/static-ffmpeg';

/** A folder shaped like .gorggle/ffmpeg with stand-in binaries printing the given banners. */
function fakeBuild(banners: { ffmpeg: string; ffprobe: string }, pin = true): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'static-ffmpeg-'));
  const lines: string[] = [];
  for (const tool of ['ffmpeg', 'ffprobe'] as const) {
    const file = path.join(dir, tool);
    writeFileSync(file, `#!/bin/sh\ncat <<'EOF'\n${banners[tool]}\nEOF\n`);
    chmodSync(file, 0o755);
    const sha = createHash('sha256').update(readFileSync(file)).digest('hex');
    lines.push(`${tool} sha256: ${pin ? sha : '0'.repeat(64)}`);
  }
  writeFileSync(path.join(dir, 'BUILD-INFO'), `${lines.join('\n')}\n`);
  return dir;
}

const banner = (tool: string, firstYear: number, configure: string) =>
  `${tool} version 7.1.5 Copyright (c) ${firstYear}-2026 the FFmpeg developers\nbuilt with gcc 12\nconfiguration: ${configure}`;

describe('the build check of the static ffmpeg', () => {
  it('passes the real build: both binaries pinned, one version', () => {
    expect(checkStaticFfmpeg(STATIC_FFMPEG_DIR).version).toMatch(/^7\.\d+/);
  });

  it('refuses an ffmpeg and an ffprobe from different builds', () => {
    const dir = fakeBuild({ ffmpeg: banner('ffmpeg', 2000, '--enable-gpl'), ffprobe: banner('ffprobe', 2007, '--x') });
    expect(() => checkStaticFfmpeg(dir)).toThrow(/ffmpeg and ffprobe are different builds/);
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a binary that is not the one BUILD-INFO pins', () => {
    const same = '--enable-gpl';
    const dir = fakeBuild({ ffmpeg: banner('ffmpeg', 2000, same), ffprobe: banner('ffprobe', 2007, same) }, false);
    expect(() => checkStaticFfmpeg(dir)).toThrow(/is not the binary its BUILD-INFO pins/);
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes one build whose programs differ only in name and first copyright year', () => {
    const same = '--enable-gpl';
    const dir = fakeBuild({ ffmpeg: banner('ffmpeg', 2000, same), ffprobe: banner('ffprobe', 2007, same) });
    expect(checkStaticFfmpeg(dir)).toEqual({ version: '7.1.5' });
    rmSync(dir, { recursive: true, force: true });
  });
});
