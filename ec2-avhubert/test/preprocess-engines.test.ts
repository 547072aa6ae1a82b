import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type * as FaceApiModule from '@vladmandic/face-api';
import { gridClip, gridAvailable, REPO_ROOT } from '../../test/support/paths';
import {
  createFaceApiEngine,
  faceApiSetup,
  LANDMARK_INPUT,
  type LandmarkEngine,
} from '../src/preprocess/face-landmarks';
import { decodeVideoFrames, defaultMediaTools } from '../src/preprocess/ffmpeg';
import {
  createWorkerLandmarkEngine,
  defaultWorkerCount,
  type WorkerLandmarkEngine,
} from '../src/preprocess/landmark-workers';
import { cropRgb, type RgbFrame, type SquareBox } from '../src/preprocess/roi';
import { squareOf } from '../src/preprocess/tracker';

const run = promisify(execFile);
const describeGrid = gridAvailable() ? describe : describe.skip;
const CLIP = 'bbaf2n.mpg';

async function firstFrames(count: number): Promise<RgbFrame[]> {
  const frames: RgbFrame[] = [];
  for await (const frame of decodeVideoFrames(gridClip(CLIP), { width: 360, height: 288 }, 25, defaultMediaTools())) {
    frames.push(frame);
    if (frames.length === count) break;
  }
  return frames;
}

const maxDifference = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
};

describeGrid('face-api engines on a GRID clip', () => {
  let frames: RgbFrame[];
  let box: SquareBox;
  let inThread: LandmarkEngine;
  let workers: WorkerLandmarkEngine;

  beforeAll(async () => {
    frames = await firstFrames(9);
    inThread = await createFaceApiEngine();
    workers = await createWorkerLandmarkEngine({ workers: 2 });
    const face = await inThread.detectFace(frames[0]!);
    expect(face).not.toBeNull();
    box = squareOf(face!);
  }, 120_000);
  afterAll(() => workers?.dispose());

  it("runs face-api's landmark net as face-api does, to a thousandth of a pixel", async () => {
    // Prepare: face-api's own path on the same crops (0..255, its normalisation inside).
    const faceapi = createRequire(import.meta.url)(faceApiSetup().faceApiPath) as typeof FaceApiModule;
    const cropValues = LANDMARK_INPUT * LANDMARK_INPUT * 3;
    const raw = new Float32Array(frames.length * cropValues);
    frames.forEach((frame, i) => cropRgb(frame, box, LANDMARK_INPUT, raw, i * cropValues));
    const inputs = frames.map((_, i) =>
      faceapi.tf.tensor3d(raw.subarray(i * cropValues, (i + 1) * cropValues), [LANDMARK_INPUT, LANDMARK_INPUT, 3]),
    );
    const reference = faceapi.nets.faceLandmark68Net.forwardInput(new faceapi.NetInput(inputs, true));
    const expected = (await reference.data()) as Float32Array;
    reference.dispose();
    inputs.forEach((t) => t.dispose());

    // Act
    const found = await inThread.landmarks(
      frames,
      frames.map(() => box),
    );

    // Assess: the same points in source pixels (face-api's are relative to the box).
    const expectedPixels = Array.from(expected, (v, k) => (k % 2 === 0 ? box.x : box.y) + v * box.size);
    const foundPixels = found.flatMap((points) => Array.from(points));
    expect(maxDifference(foundPixels, expectedPixels)).toBeLessThan(1e-3);
    // And they are a face: the mouth (48-67) below the eyes (36-47).
    const meanY = (points: Float32Array, from: number, to: number) =>
      Array.from({ length: to - from }, (_, i) => points[2 * (from + i) + 1]!).reduce((s, v) => s + v, 0) / (to - from);
    expect(meanY(found[0]!, 48, 68)).toBeGreaterThan(meanY(found[0]!, 36, 48) + 20);
  });

  it('gives the same landmarks and face box in worker threads as in this thread', async () => {
    // Prepare
    const boxes = frames.map(() => box);

    // Act
    const [here, there] = [await inThread.landmarks(frames, boxes), await workers.landmarks(frames, boxes)];
    const [faceHere, faceThere] = [await inThread.detectFace(frames[4]!), await workers.detectFace(frames[4]!)];

    // Assess: 9 frames split 5 + 4 over the two workers, back in order.
    expect(there).toHaveLength(frames.length);
    expect(
      maxDifference(
        there.flatMap((p) => Array.from(p)),
        here.flatMap((p) => Array.from(p)),
      ),
    ).toBeLessThan(1e-3);
    expect(faceThere).not.toBeNull();
    expect(faceThere!.x).toBeCloseTo(faceHere!.x, 3);
    expect(faceThere!.width).toBeCloseTo(faceHere!.width, 3);
    expect(workers.healthy).toBe(true);
  });

  it('refuses work with a clear error once disposed', async () => {
    // Prepare
    const engine = await createWorkerLandmarkEngine({ workers: 1 });

    // Act
    await engine.dispose();

    // Assess
    expect(engine.healthy).toBe(false);
    await expect(engine.detectFace(frames[0]!)).rejects.toThrow(/disposed/);
  });
});

describeGrid('decodeVideoFrames', () => {
  it('hands over every frame, in order, byte for byte as ffmpeg writes them', async () => {
    // Prepare: the same decode in one go.
    const { stdout } = await run(
      'ffmpeg',
      [
        '-v',
        'error',
        '-i',
        gridClip(CLIP),
        '-map',
        '0:v:0',
        '-vf',
        'fps=25,scale=360:288:flags=bilinear,setsar=1',
      ].concat(['-pix_fmt', 'rgb24', '-f', 'rawvideo', 'pipe:1']),
      { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
    );

    // Act: a slow consumer, so ffmpeg runs ahead and the frames queue up.
    const frames: RgbFrame[] = [];
    for await (const frame of decodeVideoFrames(gridClip(CLIP), { width: 360, height: 288 }, 25, defaultMediaTools())) {
      frames.push(frame);
      if (frames.length % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    }

    // Assess
    const frameBytes = 360 * 288 * 3;
    expect(frames.length).toBe(stdout.length / frameBytes);
    expect(frames.length).toBeGreaterThanOrEqual(74);
    frames.forEach((frame, i) => {
      expect(Buffer.compare(Buffer.from(frame.data), stdout.subarray(i * frameBytes, (i + 1) * frameBytes))).toBe(0);
    });
  });
});

describe('worker engine lifetime', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'gorggle-engine-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lets a process exit on its own with idle workers still started', async () => {
    // Prepare: a script that uses the default engine once and never disposes it.
    const script = path.join(dir, 'idle-workers.mts');
    const workers = path.join(REPO_ROOT, 'ec2-avhubert', 'src', 'preprocess', 'landmark-workers.ts');
    writeFileSync(
      script,
      [
        `import { createWorkerLandmarkEngine } from ${JSON.stringify(workers)};`,
        'const engine = await createWorkerLandmarkEngine({ workers: 2 });',
        'const frame = { width: 64, height: 64, data: new Uint8Array(64 * 64 * 3) };',
        'const face = await engine.detectFace(frame);',
        "console.log('done', face === null, engine.workers);",
      ].join('\n'),
    );

    // Act: without unref'd idle workers this would hang until the timeout kills it.
    const started = Date.now();
    const { stdout } = await run(path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), [script], {
      cwd: REPO_ROOT,
      timeout: 60_000,
    });

    // Assess: the awaited answer arrived (a ref'd worker while busy), then the process ended.
    expect(stdout.trim()).toBe('done true 2');
    expect(Date.now() - started).toBeLessThan(60_000);
  }, 90_000);

  it('says what is missing when the workers cannot load face-api', async () => {
    // Act
    const starting = createWorkerLandmarkEngine({ workers: 2, modelDir: path.join(dir, 'no-such-models') });

    // Assess
    await expect(starting).rejects.toThrow(/did not start .*FACE_API_MODEL_DIR/);
  }, 60_000);

  it('uses workers only when there is more than one core, at most four', () => {
    expect([1, 2, 3, 8].map((cores) => defaultWorkerCount(cores))).toEqual([0, 2, 3, 4]);
  });
});
