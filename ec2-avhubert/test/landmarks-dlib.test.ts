/**
 * dlib's 68 points (the recipe AV-HuBERT was trained with) against face-api's, through the real
 * preprocessing (detect every 10 frames, track between) on GRID clips: per-point distance, and
 * how much the aligned mouth crop moves between them (scale, rotation, centre). Prints the
 * figures; holds the crop within bounds that the training augmentation and the recipe tolerate.
 */
import { gridAvailable, gridClip } from '../../test/support/paths';
import { createDlibEngine, DLIB_FRAMING } from '../src/preprocess/dlib-landmarks';
import {
  defaultLandmarkEngine,
  disposeDefaultLandmarkEngine,
  preprocessVideo,
  type AlignedFrame,
  type LandmarkEngine,
} from '../src/preprocess/index';
import { decodeVideoFrames, defaultMediaTools } from '../src/preprocess/ffmpeg';
import type { Landmarks } from '../src/preprocess/landmark-track';
import { squareOf } from '../src/preprocess/tracker';
import { similarityRotation, similarityScale } from '../src/preprocess/similarity';

const describeGrid = gridAvailable() ? describe : describe.skip;
const CLIPS = ['bbaf2n.mpg', 'lrwp9a.mpg', 'swiz3n.mpg'];

/** Bounds on the aligned crop, dlib vs face-api (see the README's figures). */
const BOUNDS = {
  /** Mean |scale ratio - 1| of the similarity onto the mean face. */
  meanScaleChange: 0.08,
  /** Mean |rotation difference|, degrees. */
  meanRotationDegrees: 3,
  /** Mean distance between the ROI centres in the 256 x 256 mean-face frame, pixels: the
   * training augmentation shifts crops by up to 4 px. */
  meanCentrePixels: 4,
};

const REGIONS: Record<string, [number, number]> = {
  jaw: [0, 17],
  brows: [17, 27],
  nose: [27, 36],
  eyes: [36, 48],
  mouth: [48, 68],
};

const distance = (a: Landmarks, b: Landmarks, i: number) =>
  Math.hypot(a[2 * i]! - b[2 * i]!, a[2 * i + 1]! - b[2 * i + 1]!);
const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / Math.max(1, values.length);

async function aligned(clip: string, engine: LandmarkEngine): Promise<AlignedFrame[]> {
  const frames: AlignedFrame[] = [];
  await preprocessVideo(gridClip(clip), { engine, speechSegments: [], onAlignedFrame: (frame) => frames.push(frame) });
  return frames.sort((a, b) => a.frameIndex - b.frameIndex);
}

afterAll(() => disposeDefaultLandmarkEngine());

describeGrid('dlib landmarks against face-api on GRID clips', () => {
  const perRegion: Record<string, number[]> = Object.fromEntries(Object.keys(REGIONS).map((name) => [name, []]));
  const scaleChanges: number[] = [];
  const rotations: number[] = [];
  const centres: number[] = [];
  const framing = { ratio: [] as number[], shiftY: [] as number[] };
  let framesCompared = 0;

  beforeAll(async () => {
    const dlib = await createDlibEngine();
    const faceApi = await defaultLandmarkEngine();
    for (const clip of CLIPS) {
      const [byDlib, byFaceApi] = [await aligned(clip, dlib), await aligned(clip, faceApi)];
      expect(byDlib.length).toBe(byFaceApi.length);
      byDlib.forEach((frame, index) => {
        const other = byFaceApi[index];
        if (!frame.landmarks || !frame.geometry || !other?.landmarks || !other.geometry) return;
        framesCompared++;
        // Normalised by the outer eye corners' distance (36-45), as landmark benchmarks do.
        const interocular = Math.hypot(
          frame.landmarks[72]! - frame.landmarks[90]!,
          frame.landmarks[73]! - frame.landmarks[91]!,
        );
        for (const [name, [from, to]] of Object.entries(REGIONS)) {
          for (let i = from; i < to; i++)
            perRegion[name]!.push(distance(frame.landmarks, other.landmarks, i) / interocular);
        }
        scaleChanges.push(similarityScale(frame.geometry.transform) / similarityScale(other.geometry.transform) - 1);
        rotations.push(
          ((similarityRotation(frame.geometry.transform) - similarityRotation(other.geometry.transform)) * 180) /
            Math.PI,
        );
        centres.push(Math.hypot(frame.geometry.left - other.geometry.left, frame.geometry.top - other.geometry.top));
      });
      // How dlib's own detector frames its points: the tracker's DLIB_FRAMING comes from this.
      for await (const image of decodeVideoFrames(
        gridClip(clip),
        { width: 360, height: 288 },
        25,
        defaultMediaTools(),
      )) {
        const face = await dlib.detectFace(image);
        if (!face) continue;
        const [points] = await dlib.landmarks([image], [squareOf(face)]);
        const xs = Array.from({ length: 68 }, (_, i) => points![2 * i]!);
        const ys = Array.from({ length: 68 }, (_, i) => points![2 * i + 1]!);
        const extent = Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys));
        framing.ratio.push(face.width / extent);
        framing.shiftY.push((face.y + face.height / 2 - (Math.max(...ys) + Math.min(...ys)) / 2) / extent);
        break;
      }
    }
  }, 240_000);

  it('prints the per-point distance and the change in the aligned crop', () => {
    const rows = [
      `frames compared: ${framesCompared} (${CLIPS.join(', ')})`,
      ...Object.entries(perRegion).map(
        ([name, values]) =>
          `  ${name.padEnd(6)} mean distance ${(100 * mean(values)).toFixed(1)}% of the eye-corner distance`,
      ),
      `  all    mean distance ${(100 * mean(Object.values(perRegion).flat())).toFixed(1)}%`,
      `crop scale change: mean |${(100 * mean(scaleChanges.map(Math.abs))).toFixed(2)}|%, max ${(100 * Math.max(...scaleChanges.map(Math.abs))).toFixed(2)}%`,
      `crop rotation change: mean |${mean(rotations.map(Math.abs)).toFixed(2)}| deg, max ${Math.max(...rotations.map(Math.abs)).toFixed(2)} deg`,
      `crop centre change: mean ${mean(centres).toFixed(2)} px, max ${Math.max(...centres).toFixed(2)} px (256 x 256 mean-face frame)`,
      `dlib detector box / landmark extent: ${framing.ratio.map((r) => r.toFixed(2)).join(', ')} (tracker uses ${DLIB_FRAMING.boxPerExtent}); centre shift y ${framing.shiftY.map((r) => r.toFixed(2)).join(', ')} (uses ${DLIB_FRAMING.centreShift[1]})`,
    ];
    console.log(`dlib vs face-api landmarks\n${rows.join('\n')}`);
    expect(framesCompared).toBeGreaterThan(200);
  });

  it('keeps the aligned crop within the stated bounds', () => {
    expect(mean(scaleChanges.map(Math.abs))).toBeLessThan(BOUNDS.meanScaleChange);
    expect(mean(rotations.map(Math.abs))).toBeLessThan(BOUNDS.meanRotationDegrees);
    expect(mean(centres)).toBeLessThan(BOUNDS.meanCentrePixels);
  });

  it('tracks with boxes framed as dlib frames its detections', () => {
    expect(framing.ratio).toHaveLength(CLIPS.length);
    for (const ratio of framing.ratio) expect(Math.abs(ratio - DLIB_FRAMING.boxPerExtent)).toBeLessThan(0.1);
    for (const shift of framing.shiftY) expect(Math.abs(shift - DLIB_FRAMING.centreShift[1])).toBeLessThan(0.08);
  });
});
