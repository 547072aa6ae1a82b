/**
 * Speech-bounded chunks end to end (real ffmpeg, dlib landmarks, the test model): the model
 * reads where there is speech and nowhere else, whether the speech comes from the request's
 * segments or from the server's own energy detector.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { lipReadingDocumentSchema, type LipReadingDocument } from '../../functions/lib/contracts/documents';
import { gridAvailable, gridClip } from '../../test/support/paths';
import { loadModelPackage, type LipReadingModel } from '../src/model/index';
import { createLipReadingRunner, NO_SPEECH, type ModelLike, type ObjectStoreLike } from '../src/pipeline/lip-read-job';
import { preprocessVideoStream } from '../src/preprocess/index';
import type { JobRequest } from '../src/server/job-queue';
import { silentLogger } from '../src/server/logger';
import { requireBuiltArtifacts, TEST_MODEL_DIR } from './model-packages';
import { FFMPEG } from './support/server-media';

const run = promisify(execFile);
const describeGrid = gridAvailable() ? describe : describe.skip;
const CLIP_SECONDS = 3;
const CONTEXT = 0.2;

/** Videos by key, read from local files; documents kept in memory. */
class FolderStore implements ObjectStoreLike {
  readonly files = new Map<string, string>();
  readonly documents = new Map<string, LipReadingDocument>();
  async download(ref: { key: string }, filePath: string) {
    await copyFile(this.files.get(ref.key)!, filePath);
  }
  async putText(ref: { key: string }, body: string) {
    this.documents.set(ref.key, lipReadingDocumentSchema.parse(JSON.parse(body)));
  }
}

describeGrid('lip reading bounded by speech', () => {
  let dir: string;
  let model: LipReadingModel;
  const store = new FolderStore();
  const chunksRead: number[] = [];

  beforeAll(async () => {
    requireBuiltArtifacts();
    dir = await mkdtemp(path.join(os.tmpdir(), 'gorggle-speech-chunks-'));
    model = await loadModelPackage(TEST_MODEL_DIR);
    const ffmpeg = (...args: string[]) => run(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-y', ...args]);
    const mp4 = '-r 25 -c:v libx264 -preset veryfast -pix_fmt yuv420p -c:a aac -ar 16000'.split(' ');
    const clip = gridClip('bbaf2n.mpg');
    await ffmpeg('-i', clip, ...mp4, path.join(dir, 'clip.mp4'));
    // The same clip, then 10 s of the last frame held still and digital silence.
    await ffmpeg(
      ...['-i', clip, '-vf', 'tpad=stop_mode=clone:stop_duration=10', '-af', 'apad=pad_dur=10'],
      ...mp4,
      path.join(dir, 'padded.mp4'),
    );
    // The clip's face with silence instead of its sound.
    await ffmpeg(
      ...['-i', clip, '-f', 'lavfi', '-i', 'anullsrc=r=16000:cl=mono', '-map', '0:v', '-map', '1:a', '-shortest'],
      ...mp4,
      path.join(dir, 'mute.mp4'),
    );
    for (const name of ['clip', 'padded', 'mute'])
      store.files.set(`jobs/${name}/video.mp4`, path.join(dir, `${name}.mp4`));
  }, 120_000);
  afterAll(async () => {
    model?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function lipRead(name: string, segments?: JobRequest['segments']): Promise<LipReadingDocument> {
    const counting: ModelLike = {
      name: model.name,
      mode: model.mode,
      transcribe: (input, options) => {
        chunksRead.push(input.frames);
        return model.transcribe(input, options);
      },
    };
    const runner = createLipReadingRunner({ store, model: counting, preprocess: preprocessVideoStream, tmpDir: dir });
    const key = `jobs/${name}/video.mp4`;
    await runner({
      id: '00000000-0000-4000-8000-000000000015',
      request: { video: { bucket: 'media', key }, mode: 'vsr', ...(segments ? { segments } : {}) },
      signal: new AbortController().signal,
      log: silentLogger,
    });
    return store.documents.get(`jobs/${name}/lipreading.json`)!;
  }

  it('reads a clip padded with 10 s of silence and a still face as the clip alone, and nothing in the padding', async () => {
    // Act: no segments, so the server's energy detector decides.
    const alone = await lipRead('clip');
    const padded = await lipRead('padded');

    // Assess
    expect(alone.segments.length).toBeGreaterThan(0);
    expect(padded.segments.map((s) => s.text)).toEqual(alone.segments.map((s) => s.text));
    // A chunk reaches 0.2 s (CONTEXT) past the speech it covers, and no further.
    expect(Math.max(...padded.segments.map((s) => s.end))).toBeLessThanOrEqual(CLIP_SECONDS + CONTEXT);
    expect(padded.mouthOpening?.values.length).toBeGreaterThanOrEqual(12 * 25);
    expect(padded.reason).toBeUndefined();
  }, 180_000);

  it('reads only inside the segments it is sent', async () => {
    // Prepare: the words of the clip, as Silero VAD would send them, and one span of the padding.
    chunksRead.length = 0;

    // Act
    const document = await lipRead('padded', [
      { start: 0.5, end: 2.3 },
      { start: 8, end: 9 },
    ]);

    // Assess: one chunk each (0.2 s of context either side), so 56 + 35 frames, not 325.
    expect(chunksRead).toEqual([56, 35]);
    // Frames 7-63 and 195-230: 0.28-2.52 s and 7.8-9.2 s.
    expect(document.segments.map((s) => [s.start, s.end])).toEqual([
      [0.28, 2.52],
      [7.8, 9.2],
    ]);
  }, 180_000);

  it("says 'no speech' and reads nothing for an empty list of segments, or a silent track", async () => {
    // Prepare
    chunksRead.length = 0;

    // Act
    const sent = await lipRead('clip', []);
    const silent = await lipRead('mute');

    // Assess
    for (const document of [sent, silent]) {
      expect(document.reason).toBe(NO_SPEECH);
      expect(document.segments).toEqual([]);
    }
    expect(chunksRead).toEqual([]);
    // The silent track still had a face to follow: the mouth opening is there for fuse.
    expect(silent.mouthOpening?.values.length).toBeGreaterThanOrEqual(74);
  }, 180_000);
});
