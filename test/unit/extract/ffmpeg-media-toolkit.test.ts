import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FfmpegMediaToolkit, summariseStderr } from '../../../functions/lib/adapters/ffmpeg-media-toolkit';
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
    const toolkit = new FfmpegMediaToolkit({ ffmpegPath: stuck, ffprobePath: FFPROBE, timeoutMs: () => 1_000 });

    // Act
    const result = toolkit.extractAudio(gridClip('bbaf2n.mpg'), path.join(scratch, 'a.wav'), 1);

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
