import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FrameRange } from '../../../functions/lib/active-speaker/frame-source';
import { FfmpegGreyFrames } from '../../../functions/lib/adapters/ffmpeg-grey-frames';
import { FFMPEG_DIR_FOR_TESTS } from '../../support/paths';

const FFMPEG = path.join(FFMPEG_DIR_FOR_TESTS, 'ffmpeg');
let scratch: string;
let video: string;

beforeAll(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'grey-frames-'));
  video = path.join(scratch, 'video.mp4');
  // 4 s at 25 fps, H.264 as extract writes it, each frame's brightness telling its number.
  // Debian's ffmpeg makes it (lavfi sources the static build leaves out); the static one decodes.
  execFileSync('ffmpeg', [
    ...['-nostdin', '-v', 'error', '-f', 'lavfi', '-i', 'color=c=black:s=64x48:r=25:d=4'],
    ...['-vf', "geq=lum='30+mod(N*9,200)':cb=128:cr=128,fps=25,format=yuv420p"],
    ...['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '10', '-g', '50', '-movflags', '+faststart', video],
  ]);
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const source = (file = video) =>
  new FfmpegGreyFrames({ ffmpegPath: FFMPEG, videoPath: file, width: 64, height: 48, timeoutMs: () => 60_000 });

async function decode(ranges: FrameRange[], file?: string) {
  const frames: Array<{ index: number; brightness: number }> = [];
  for await (const { index, frame } of source(file).frames(ranges)) {
    frames.push({ index, brightness: frame.pixels.reduce((sum, value) => sum + value, 0) / frame.pixels.length });
  }
  return frames;
}

describe('grey frames from ffmpeg', () => {
  it('gives each frame of a range the same index and picture as a decode from the start', async () => {
    // Act
    const whole = await decode([{ from: 0, to: 100 }]);
    const parts = await decode([
      { from: 37, to: 45 },
      { from: 71, to: 74 },
    ]);

    // Assess: each frame's number shows in its brightness (luma 30 + 9n, scaled to full range)
    expect(whole.map((frame) => frame.index)).toEqual(Array.from({ length: 100 }, (_, index) => index));
    expect(whole[1]!.brightness).toBeGreaterThan(whole[0]!.brightness + 5);
    expect(parts.map((frame) => frame.index)).toEqual([37, 38, 39, 40, 41, 42, 43, 44, 71, 72, 73]);
    for (const frame of parts) expect(frame.brightness).toBeCloseTo(whole[frame.index]!.brightness, 0);
  });

  it('stops at the end of the video when a range reaches past it', async () => {
    const frames = await decode([{ from: 95, to: 130 }]);
    expect(frames.map((frame) => frame.index)).toEqual([95, 96, 97, 98, 99]);
  });

  it("fails with ffmpeg's own words for a file that is not a video", async () => {
    // Prepare
    const broken = path.join(scratch, 'broken.mp4');
    writeFileSync(broken, 'not a video at all');

    // Act
    const result = decode([{ from: 0, to: 10 }], broken);

    // Assess
    await expect(result).rejects.toMatchObject({ name: 'MediaToolError', tool: 'ffmpeg' });
  });
});
