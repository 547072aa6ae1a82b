import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import {
  FfmpegMediaToolkit,
  MAX_VIDEO_SHORT_SIDE,
  summariseStderr,
} from '../../../functions/lib/adapters/ffmpeg-media-toolkit';
import { FFMPEG_DIR_FOR_TESTS, FFPROBE_DIR_FOR_TESTS, gridClip } from '../../support/paths';

const FFMPEG = path.join(FFMPEG_DIR_FOR_TESTS, 'ffmpeg');
const FFPROBE = path.join(FFPROBE_DIR_FOR_TESTS, 'ffprobe');

let scratch: string;
beforeEach(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'toolkit-test-'));
});
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

describe('FfmpegMediaToolkit', () => {
  it('kills a tool that runs past its time limit', async () => {
    // Prepare: a stand-in for an ffmpeg stuck on a pathological input.
    const stuck = path.join(scratch, 'stuck-ffmpeg');
    writeFileSync(stuck, '#!/bin/sh\nexec sleep 30\n');
    chmodSync(stuck, 0o755);
    const toolkit = new FfmpegMediaToolkit({ ffmpegPath: stuck, ffprobePath: FFPROBE, timeoutMs: () => 1_000 });
    const started = Date.now();

    // Act
    const result = toolkit.extractAudio(gridClip('bbaf2n.mpg'), path.join(scratch, 'a.wav'), 1);

    // Assess
    await expect(result).rejects.toMatchObject({ name: 'MediaToolError', timedOut: true, tool: 'ffmpeg' });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('says which setting to fix when a binary is missing', async () => {
    // Prepare
    const toolkit = new FfmpegMediaToolkit({
      ffmpegPath: FFMPEG,
      ffprobePath: path.join(scratch, 'no-such-ffprobe'),
      timeoutMs: () => 5_000,
    });

    // Act
    const result = toolkit.probe(gridClip('bbaf2n.mpg'));

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'ConfigurationError',
      message: expect.stringMatching(/ffprobe cannot be run from .*no-such-ffprobe \(ENOENT\)\. Set FFPROBE_PATH\./),
    });
  });

  it('reports what ffmpeg said, without its scratch path, when it fails', async () => {
    // Prepare
    const toolkit = new FfmpegMediaToolkit({ ffmpegPath: FFMPEG, ffprobePath: FFPROBE, timeoutMs: () => 30_000 });
    const garbage = path.join(scratch, 'garbage.mp4');
    writeFileSync(garbage, 'not a video');

    // Act
    const result = toolkit.transcodeVideo(garbage, path.join(scratch, 'out.mp4'), { video: 0 });

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'MediaToolError',
      timedOut: false,
      detail: 'moov atom not found; Invalid data found when processing input',
    });
  });

  it.each([
    ['1080p landscape', 1920, 1080, 1280, 720],
    ['1080p portrait', 1080, 1920, 720, 1280],
    ['small and odd-sized', 321, 241, 320, 240],
  ])(
    'downscales a %s video to at most 720p, keeping its aspect ratio',
    async (_name, width, height, outWidth, outHeight) => {
      // Prepare: a few frames of a test pattern at that size.
      const source = path.join(scratch, `source-${width}x${height}.mp4`);
      execFileSync(FFMPEG, [
        ...['-v', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=25:duration=0.2`],
        ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', source],
      ]);
      const toolkit = new FfmpegMediaToolkit({ ffmpegPath: FFMPEG, ffprobePath: FFPROBE, timeoutMs: () => 60_000 });
      const output = path.join(scratch, 'video.mp4');

      // Act
      await toolkit.transcodeVideo(source, output, { video: 0 });

      // Assess
      const probe = JSON.parse(await toolkit.probe(output)) as { streams: Array<{ width: number; height: number }> };
      expect(probe.streams[0]).toMatchObject({ width: outWidth, height: outHeight });
      expect(Math.min(outWidth, outHeight)).toBeLessThanOrEqual(MAX_VIDEO_SHORT_SIDE);
    },
  );

  it('fails rather than pretend when a poster is asked for past the last frame', async () => {
    // Prepare
    const toolkit = new FfmpegMediaToolkit({ ffmpegPath: FFMPEG, ffprobePath: FFPROBE, timeoutMs: () => 30_000 });

    // Act
    const result = toolkit.capturePoster(gridClip('bbaf2n.mpg'), path.join(scratch, 'poster.jpg'), 60);

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'MediaToolError',
      detail: 'no frame at 60 s to use as a poster',
    });
  });
});

describe('summariseStderr', () => {
  it('keeps the last two distinct lines without demuxer prefixes', () => {
    const stderr = [
      '[mov,mp4,m4a,3gp,3g2,mj2 @ 0x43740200] moov atom not found',
      '/tmp/extract-abc/source.mp4: Invalid data found when processing input',
      '',
    ].join('\n');
    expect(summariseStderr(stderr, '/tmp/extract-abc/source.mp4')).toBe(
      'moov atom not found; Invalid data found when processing input',
    );
  });
});
