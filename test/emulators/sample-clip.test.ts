import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { makeSampleClip } from '../../scripts/make-sample-clip';
import { defaultMediaTools } from '../../scripts/local-stack/emulators/media';
import { detectFacesInVideo } from '../../scripts/local-stack/emulators/rekognition/detect-video';
import { createFaceFinder } from '../../scripts/local-stack/emulators/rekognition/face-finder';
import { recognise } from '../../scripts/local-stack/emulators/transcribe/pocketsphinx';
import { ffmpeg } from './support/local-aws';

describe('the default sample clip (flite speech over a drawn face)', () => {
  let workDir: string;
  let clip: string;

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(os.tmpdir(), 'gorggle-sample-clip-'));
    clip = await makeSampleClip({ out: path.join(workDir, 'samples', 'sample.mp4') });
  });

  afterAll(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  it('is an MP4 that ffprobe reads as H.264 video with AAC audio', () => {
    // Act
    const probe = spawnSync(
      'ffprobe',
      ['-v', 'error', '-show_entries', 'stream=codec_type,codec_name:format=duration', '-of', 'json', clip],
      { encoding: 'utf8' },
    );
    const parsed = JSON.parse(probe.stdout) as {
      streams: Array<{ codec_type: string; codec_name: string }>;
      format: { duration: string };
    };

    // Assess
    expect(probe.status).toBe(0);
    expect(parsed.streams).toEqual(
      expect.arrayContaining([
        { codec_type: 'video', codec_name: 'h264' },
        { codec_type: 'audio', codec_name: 'aac' },
      ]),
    );
    expect(Number(parsed.format.duration)).toBeGreaterThan(2);
  });

  it('shows a face that face-api finds on nearly every sampled frame', async () => {
    // Act
    const { faces, metadata } = await detectFacesInVideo(clip, {
      tools: defaultMediaTools(),
      finder: await createFaceFinder(),
      attributes: 'DEFAULT',
    });

    // Assess
    const sampled = Math.floor(metadata.DurationMillis / 200);
    expect(new Set(faces.map((face) => face.Timestamp)).size).toBeGreaterThanOrEqual(Math.ceil(0.9 * sampled));
  });

  it('says words pocketsphinx recognises', async () => {
    // Prepare
    const wav = path.join(workDir, 'speech.wav');
    ffmpeg(['-i', clip, '-ac', '1', '-ar', '16000', wav]);

    // Act
    const words = (await recognise(wav)).flatMap((utterance) => utterance.words.map((word) => word.word));

    // Assess
    expect(words).toEqual(expect.arrayContaining(['hello', 'speech', 'recognition']));
  });

  it('is made once and kept, unless forced', async () => {
    // Prepare
    const before = await stat(clip);

    // Act
    const again = await makeSampleClip({ out: clip });
    const kept = await stat(again);

    // Assess
    expect(again).toBe(clip);
    expect(kept.mtimeMs).toBe(before.mtimeMs);
  });
});
