import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GRID_DIR, gridAvailable, testOutputDir } from '../../test/support/paths';
import {
  AUDIO_FEATURE_DIM,
  createFaceApiEngine,
  disposeDefaultLandmarkEngine,
  PreprocessError,
  preprocessVideo,
  ROI_SIZE,
  type AlignedFrame,
  type PreprocessResult,
} from '../src/preprocess/index';
import { MEAN_FACE_STABLE_POINTS, STABLE_POINT_IDS } from '../src/preprocess/mean-face';
import { encodeGrayPng } from '../src/preprocess/png';
import { applySimilarity } from '../src/preprocess/similarity';

const clips = gridAvailable()
  ? readdirSync(GRID_DIR)
      .filter((name) => name.endsWith('.mpg'))
      .sort()
  : [];
const describeGrid = clips.length > 0 ? describe : describe.skip;
const PREVIEW_CLIP = 'bbaf2n.mpg';
const PREVIEW_FRAMES = [0, 37, 74];

interface ClipRun {
  result: PreprocessResult;
  aligned: AlignedFrame[];
}

afterAll(() => disposeDefaultLandmarkEngine());

describeGrid('preprocessVideo on the GRID clips', () => {
  const runs = new Map<string, ClipRun>();
  const previews = new Map<number, Uint8Array>();

  beforeAll(async () => {
    // One pass per clip, shared by every assertion below.
    for (const clip of clips) {
      const aligned: AlignedFrame[] = [];
      const result = await preprocessVideo(path.join(GRID_DIR, clip), {
        withAudio: true,
        onAlignedFrame: (frame) => aligned.push(frame),
        onRoiFrame:
          clip === PREVIEW_CLIP
            ? (index, roi) => PREVIEW_FRAMES.includes(index) && previews.set(index, roi)
            : undefined,
      });
      runs.set(clip, { result, aligned });
    }
  }, 300_000);

  it.each(clips)('%s: ~75 frames at 25 fps, the speech in one chunk, with a face in at least 95%% of them', (clip) => {
    const { result } = runs.get(clip)!;
    expect(result.fps).toBe(25);
    expect(result.totalFrames).toBeGreaterThanOrEqual(74);
    expect(result.totalFrames).toBeLessThanOrEqual(76);
    expect(result.faceFoundFrames / result.totalFrames).toBeGreaterThanOrEqual(0.95);
    // No segments were given: the energy detector found the sentence, and the chunk covers it
    // (a GRID clip has about half a second of silence at each end, which is not read).
    expect(result.speech.source).toBe('energy');
    expect(result.chunks).toHaveLength(1);
    const [chunk] = result.chunks;
    expect(chunk!.frames).toBe(result.chunkFrames);
    expect(chunk!.frames).toBeGreaterThanOrEqual(35);
    expect(chunk!.frames).toBeLessThan(result.totalFrames);
    expect(chunk!.video).toHaveLength(chunk!.frames * ROI_SIZE * ROI_SIZE);
    expect(chunk!.faceFoundRatio).toBeGreaterThanOrEqual(0.95);
    expect(result.mouthOpening).toHaveLength(result.totalFrames);
  });

  it('finds the words of swwp2s where its GRID alignment has them', () => {
    // swwp2s.align: silence to 12250, words to 55250, in 1/25000 s.
    const { result } = runs.get('swwp2s.mpg')!;
    const [chunk] = result.chunks;
    expect(result.speech.segments[0]!.start).toBeLessThanOrEqual(12250 / 25000 + 0.1);
    expect(result.speech.segments.at(-1)!.end).toBeGreaterThanOrEqual(55250 / 25000 - 0.1);
    expect(chunk!.start).toBeLessThanOrEqual(12250 / 25000);
    expect(chunk!.end).toBeGreaterThanOrEqual(55250 / 25000);
  });

  it.each(clips)('%s: the mouth lies at the centre of every 88x88 crop, the face on the mean face', (clip) => {
    const { aligned, result } = runs.get(clip)!;
    expect(aligned.map((f) => f.frameIndex)).toEqual(Array.from({ length: result.totalFrames }, (_, i) => i));
    for (const frame of aligned) {
      const { geometry, landmarks } = frame;
      expect(geometry).not.toBeNull();
      const dx = geometry!.mouthCentre[0] - (geometry!.left + ROI_SIZE / 2);
      const dy = geometry!.mouthCentre[1] - (geometry!.top + ROI_SIZE / 2);
      expect(Math.hypot(dx, dy)).toBeLessThanOrEqual(8);
      // The frame's own eye corners and nose land near the mean face's (256x256 frame).
      const residuals = STABLE_POINT_IDS.map((id, k) => {
        const [x, y] = applySimilarity(geometry!.transform, landmarks![2 * id]!, landmarks![2 * id + 1]!);
        return Math.hypot(x - MEAN_FACE_STABLE_POINTS[k]![0], y - MEAN_FACE_STABLE_POINTS[k]![1]);
      });
      expect(Math.max(...residuals)).toBeLessThan(15);
    }
  });

  it.each(clips)('%s: 104-dim, layer-normalised audio features aligned to the frames', (clip) => {
    const { result } = runs.get(clip)!;
    const [chunk] = result.chunks;
    expect(chunk!.audio).toHaveLength(chunk!.frames * AUDIO_FEATURE_DIM);
    const middle = chunk!.audio!.subarray(20 * 104, 21 * 104);
    const mean = middle.reduce((s, v) => s + v, 0) / 104;
    const variance = middle.reduce((s, v) => s + (v - mean) ** 2, 0) / 104;
    expect(mean).toBeCloseTo(0, 4);
    expect(variance).toBeCloseTo(1, 2);
  });

  it('gives the same crops with face-api in this thread as in worker threads', async () => {
    // Act
    const byDefault = await preprocessVideo(path.join(GRID_DIR, PREVIEW_CLIP), { landmarks: 'face-api' });
    const inThisThread = await preprocessVideo(path.join(GRID_DIR, PREVIEW_CLIP), {
      engine: await createFaceApiEngine(),
    });

    // Assess: normalised pixels agree (std 0.165: 0.01 is about half a gray level).
    const [a, b] = [byDefault.chunks[0]!.video, inThisThread.chunks[0]!.video];
    expect(b).toHaveLength(a.length);
    let max = 0;
    for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
    expect(max).toBeLessThan(0.01);
    expect(inThisThread.faceFoundFrames).toBe(byDefault.faceFoundFrames);
  }, 120_000);

  it('the mouth opens and closes while the speaker talks', () => {
    const { result } = runs.get(PREVIEW_CLIP)!;
    const opening = result.mouthOpening;
    expect(Math.max(...opening)).toBeGreaterThan(0.15);
    expect(Math.min(...opening)).toBeLessThan(0.1);
  });

  it('writes ROI previews to test-output/preprocess/ for people to look at', () => {
    const dir = testOutputDir('preprocess');
    for (const index of PREVIEW_FRAMES) {
      const roi = previews.get(index);
      expect(roi).toHaveLength(ROI_SIZE * ROI_SIZE);
      // A real crop has contrast (lips, teeth, skin), unlike a flat or black frame.
      const values = Array.from(roi!);
      expect(Math.max(...values) - Math.min(...values)).toBeGreaterThan(60);
      writeFileSync(
        path.join(dir, `${path.parse(PREVIEW_CLIP).name}-roi-${index}.png`),
        encodeGrayPng(roi!, ROI_SIZE, ROI_SIZE),
      );
    }
  });
});

describe('preprocessVideo on videos it cannot use', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'gorggle-preprocess-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const ffmpeg = (...args: string[]) => execFileSync('ffmpeg', ['-v', 'error', '-y', ...args]);
  const reasonOf = async (file: string) => {
    const error = await preprocessVideo(file).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PreprocessError);
    expect((error as PreprocessError).message.length).toBeGreaterThan(20);
    return (error as PreprocessError).reason;
  };

  it('says no_face for a video without a face', async () => {
    const file = path.join(dir, 'testsrc.mp4');
    ffmpeg('-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-t', '2', '-pix_fmt', 'yuv420p', file);
    await expect(reasonOf(file)).resolves.toBe('no_face');
  }, 60_000);

  it('says corrupt_video for a file that is not media', async () => {
    const file = path.join(dir, 'corrupt.mp4');
    writeFileSync(file, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)));
    await expect(reasonOf(file)).resolves.toBe('corrupt_video');
  });

  it('says no_frames for an audio-only file', async () => {
    const file = path.join(dir, 'tone.m4a');
    ffmpeg('-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-c:a', 'aac', file);
    await expect(reasonOf(file)).resolves.toBe('no_frames');
  });
});
