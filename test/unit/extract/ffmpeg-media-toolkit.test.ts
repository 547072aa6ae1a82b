import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
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
    writeFileSync(stuck, '#!/bin/sh\nexec sleep 600\n');
    chmodSync(stuck, 0o755);
    const toolkit = new FfmpegMediaToolkit({
      ffmpegPath: stuck,
      ffprobePath: FFPROBE,
      timeoutMs: () => 1_000,
      maxOutputSeconds: 60,
    });

    // Act
    const result = toolkit.extractAudio(gridClip('bbaf2n.mpg'), path.join(scratch, 'a.wav'), 1, 'mpeg');

    // Assess
    // Only the kill can end a 600 s sleep before jest's own timeout.
    await expect(result).rejects.toMatchObject({ name: 'MediaToolError', timedOut: true, tool: 'ffmpeg' });
  });

  it('says which setting to fix when a binary is missing', async () => {
    // Prepare
    const toolkit = new FfmpegMediaToolkit({
      ffmpegPath: FFMPEG,
      ffprobePath: path.join(scratch, 'no-such-ffprobe'),
      timeoutMs: () => 5_000,
      maxOutputSeconds: 60,
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
    const toolkit = new FfmpegMediaToolkit({
      ffmpegPath: FFMPEG,
      ffprobePath: FFPROBE,
      timeoutMs: () => 30_000,
      maxOutputSeconds: 60,
    });
    const garbage = path.join(scratch, 'garbage.mp4');
    writeFileSync(garbage, 'not a video');

    // Act
    const result = toolkit.transcodeVideo(garbage, path.join(scratch, 'out.mp4'), { video: 0 }, 'mov');

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
      // Prepare: a few frames of a test pattern at that size, made by Debian's ffmpeg (the
      // static one has no lavfi sources).
      const source = path.join(scratch, `source-${width}x${height}.mp4`);
      execFileSync('ffmpeg', [
        ...['-v', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=25:duration=0.2`],
        ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', source],
      ]);
      const toolkit = new FfmpegMediaToolkit({
        ffmpegPath: FFMPEG,
        ffprobePath: FFPROBE,
        timeoutMs: () => 60_000,
        maxOutputSeconds: 60,
      });
      const output = path.join(scratch, 'video.mp4');

      // Act
      await toolkit.transcodeVideo(source, output, { video: 0 }, 'mov');

      // Assess
      const probe = JSON.parse(await toolkit.probe(output)) as { streams: Array<{ width: number; height: number }> };
      expect(probe.streams[0]).toMatchObject({ width: outWidth, height: outHeight });
      expect(Math.min(outWidth, outHeight)).toBeLessThanOrEqual(MAX_VIDEO_SHORT_SIDE);
    },
  );

  it('fails rather than pretend when a poster is asked for past the last frame', async () => {
    // Prepare: posters come from extract's own video.mp4 (3 s here).
    const toolkit = new FfmpegMediaToolkit({
      ffmpegPath: FFMPEG,
      ffprobePath: FFPROBE,
      timeoutMs: () => 30_000,
      maxOutputSeconds: 60,
    });
    const video = path.join(scratch, 'video.mp4');
    await toolkit.transcodeVideo(gridClip('bbaf2n.mpg'), video, { video: 0 }, 'mpeg');

    // Act
    const result = toolkit.capturePoster(video, path.join(scratch, 'poster.jpg'), 60);

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'MediaToolError',
      detail: 'no frame at 60 s to use as a poster',
    });
  });
});

describe('FfmpegMediaToolkit guards', () => {
  it('runs each tool with no credentials, the file protocol only and accepted demuxers only', async () => {
    // Prepare: a stand-in ffprobe that records what it was given; credentials in this process.
    const seen = path.join(scratch, 'seen.txt');
    const recorder = path.join(scratch, 'recording-ffprobe');
    writeFileSync(recorder, `#!/bin/sh\nenv > '${seen}'\necho "ARGS $*" >> '${seen}'\necho '{}'\n`);
    chmodSync(recorder, 0o755);
    process.env.AWS_SECRET_ACCESS_KEY = 'do-not-leak';
    process.env.AWS_SESSION_TOKEN = 'do-not-leak';
    const toolkit = new FfmpegMediaToolkit({
      ffmpegPath: FFMPEG,
      ffprobePath: recorder,
      timeoutMs: () => 5_000,
      maxOutputSeconds: 60,
    });

    // Act
    await toolkit.probe(path.join(scratch, 'upload.mp4'));

    // Assess
    const recorded = readFileSync(seen, 'utf8');
    delete process.env.AWS_SECRET_ACCESS_KEY;
    delete process.env.AWS_SESSION_TOKEN;
    expect(recorded).not.toContain('do-not-leak');
    expect(recorded).not.toMatch(/^AWS_/m);
    expect(recorded).toMatch(/^GCONV_PATH=$/m);
    expect(recorded).toContain('-protocol_whitelist file -format_whitelist mov,matroska,mpeg,avi,mp3,wav,ogg,flac');
  });

  it('stops every output at maxOutputSeconds, the second line of the duration cap', async () => {
    // Prepare
    const toolkit = new FfmpegMediaToolkit({
      ffmpegPath: FFMPEG,
      ffprobePath: FFPROBE,
      timeoutMs: () => 60_000,
      maxOutputSeconds: 1,
    });
    const out = path.join(scratch, 'short.wav');

    // Act: the GRID clip lasts 3 s.
    await toolkit.extractAudio(gridClip('bbaf2n.mpg'), out, 1, 'mpeg');

    // Assess
    const seconds = Number(
      execFileSync(FFPROBE, ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', out]).toString(),
    );
    expect(seconds).toBeCloseTo(1, 1);
  });

  it('opens an input only as the container the probe found', async () => {
    // Prepare: a real MPEG program stream, forced to be read as MP4.
    const toolkit = new FfmpegMediaToolkit({
      ffmpegPath: FFMPEG,
      ffprobePath: FFPROBE,
      timeoutMs: () => 30_000,
      maxOutputSeconds: 60,
    });

    // Act
    const result = toolkit.extractAudio(gridClip('bbaf2n.mpg'), path.join(scratch, 'a.wav'), 1, 'mov');

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'MediaToolError',
      detail: expect.stringMatching(/moov atom not found/),
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
