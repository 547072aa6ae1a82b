/**
 * The ROI recipe against the libraries AV-HuBERT's own preparation calls, not against this
 * project's re-implementation: scikit-image's estimate_transform('similarity') and warp, and
 * OpenCV's RGB-to-gray, from the Python environment `make pyref` builds (.gorggle/pyref).
 * The input is a real GRID frame with real (dlib) landmarks.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gridAvailable, gridClip, REPO_ROOT } from '../../test/support/paths';
import { createDlibEngine } from '../src/preprocess/dlib-landmarks';
import { decodeVideoFrames, defaultMediaTools } from '../src/preprocess/ffmpeg';
import { MEAN_FACE_STABLE_POINTS, ROI_SIZE } from '../src/preprocess/mean-face';
import { roiGeometry, warpRoi, type RgbFrame } from '../src/preprocess/roi';
import { estimateSimilarity, type Similarity } from '../src/preprocess/similarity';
import { squareOf } from '../src/preprocess/tracker';

const PYTHON = process.env.GORGGLE_PYREF_PYTHON ?? path.join(REPO_ROOT, '.gorggle', 'pyref', 'bin', 'python');
const SCRIPT = path.join(import.meta.dirname, 'reference', 'skimage_reference.py');
const describeGrid = gridAvailable() ? describe : describe.skip;

function reference<T>(request: object): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = execFile(PYTHON, [SCRIPT], { maxBuffer: 1 << 24 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${SCRIPT} failed: ${stderr || error.message}`)) : resolve(JSON.parse(stdout) as T),
    );
    child.stdin?.end(JSON.stringify(request));
  });
}

beforeAll(() => {
  if (!existsSync(PYTHON)) throw new Error(`Missing ${PYTHON}: run \`make pyref\` in the repository root first.`);
});

describe('estimateSimilarity against scikit-image', () => {
  it("gives skimage's estimate_transform('similarity') on the mean face and on skewed points", async () => {
    // Prepare: the recipe's own pair, and points no similarity maps exactly (least squares).
    const target = MEAN_FACE_STABLE_POINTS.map(([x, y]) => [x, y]);
    const cases = [
      target.map(([x, y]) => [0.61 * x! - 0.2 * y! + 31, 0.2 * x! + 0.61 * y! - 7]),
      target.map(([x, y], i) => [1.3 * x! + 11 * Math.sin(i), 0.8 * y! + 40 + 9 * Math.cos(3 * i)]),
    ];
    for (const source of cases) {
      // Act
      const ours = estimateSimilarity(source.flat(), target.flat());
      const theirs = await reference<Similarity>({ op: 'similarity', src: source, dst: target });

      // Assess
      for (const key of ['a', 'b', 'tx', 'ty'] as const) {
        expect(Math.abs(ours[key] - theirs[key])).toBeLessThan(1e-9 * Math.max(1, Math.abs(theirs[key])));
      }
    }
  });
});

describeGrid('warpRoi against scikit-image warp and OpenCV gray', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'gorggle-skimage-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('cuts the same 88x88 mouth crop from a GRID frame as align_mouth.py and the loader do', async () => {
    // Prepare: a frame mid-sentence and its dlib landmarks.
    let frame: RgbFrame | undefined;
    let index = 0;
    for await (const decoded of decodeVideoFrames(
      gridClip('bbaf2n.mpg'),
      { width: 360, height: 288 },
      25,
      defaultMediaTools(),
    )) {
      if (index++ === 37) {
        frame = decoded;
        break;
      }
    }
    if (!frame) throw new Error('bbaf2n.mpg has fewer than 38 frames');
    const engine = await createDlibEngine();
    const face = await engine.detectFace(frame);
    if (!face) throw new Error('dlib found no face in frame 37 of bbaf2n.mpg');
    const [landmarks] = await engine.landmarks([frame], [squareOf(face)]);
    const geometry = roiGeometry(landmarks!, landmarks!);
    const rgbFile = path.join(dir, 'frame.rgb');
    writeFileSync(rgbFile, frame.data);

    // Act
    const ours = new Uint8Array(ROI_SIZE * ROI_SIZE);
    warpRoi(frame, geometry, new Float32Array(ROI_SIZE * ROI_SIZE), 0, ours);
    const { gray } = await reference<{ gray: number[] }>({
      op: 'warp',
      rgb: rgbFile,
      width: frame.width,
      height: frame.height,
      transform: geometry.transform,
      left: geometry.left,
      top: geometry.top,
      size: ROI_SIZE,
    });

    // Assess: align_mouth.py truncates the warped RGB to uint8 and OpenCV rounds the gray; we
    // round once. So at most 2 gray levels apart, and about half a level lower on average.
    expect(gray).toHaveLength(ours.length);
    let max = 0;
    let sum = 0;
    gray.forEach((value, i) => {
      const gap = Math.abs(value - ours[i]!);
      max = Math.max(max, gap);
      sum += gap;
    });
    console.log(
      `warpRoi vs skimage+cv2 on bbaf2n frame 37: max ${max}, mean ${(sum / gray.length).toFixed(3)} gray levels`,
    );
    expect(max).toBeLessThanOrEqual(2);
    expect(sum / gray.length).toBeLessThan(0.75);
  }, 60_000);
});
