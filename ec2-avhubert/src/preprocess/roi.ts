/* eslint-disable @typescript-eslint/no-non-null-assertion -- numeric kernels over typed arrays: every index is in range by construction, and `!` keeps the hot loops free of fallbacks. */
import type { Landmarks } from './landmark-track';
import {
  CROP_SIZE,
  MEAN_FACE_STABLE_POINTS,
  MOUTH_END,
  MOUTH_START,
  PIXEL_MEAN,
  PIXEL_STD,
  ROI_SIZE,
  STABLE_POINT_IDS,
  STD_SIZE,
} from './mean-face';
import { applySimilarity, estimateSimilarity, invertSimilarity, type Similarity } from './similarity';

/** An RGB24 frame, row-major. */
export interface RgbFrame {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface RoiGeometry {
  /** Source frame -> the 256x256 mean-face frame. */
  transform: Similarity;
  /** Mean of the transformed mouth points 48-67, in the 256x256 frame. */
  mouthCentre: [number, number];
  /** Top-left corner of the 88x88 ROI in the 256x256 frame. */
  left: number;
  top: number;
}

const MEAN_FACE_FLAT = MEAN_FACE_STABLE_POINTS.flat();
const HALF_CROP = CROP_SIZE / 2;
const CENTRE_CROP_MARGIN = (CROP_SIZE - ROI_SIZE) / 2;

/**
 * Where the ROI lies: the similarity of the smoothed stable points onto the mean face, then a
 * 96x96 box centred on the current frame's transformed mouth (kept inside the 256x256 frame,
 * as `cut_patch` does), then its central 88x88.
 */
export function roiGeometry(current: Landmarks, smoothed: Landmarks): RoiGeometry {
  const stable = STABLE_POINT_IDS.flatMap((id) => [smoothed[2 * id]!, smoothed[2 * id + 1]!]);
  const transform = estimateSimilarity(stable, MEAN_FACE_FLAT);
  let sumX = 0;
  let sumY = 0;
  for (let id = MOUTH_START; id < MOUTH_END; id++) {
    const [x, y] = applySimilarity(transform, current[2 * id]!, current[2 * id + 1]!);
    sumX += x;
    sumY += y;
  }
  const count = MOUTH_END - MOUTH_START;
  const mouthCentre: [number, number] = [sumX / count, sumY / count];
  const clamp = (v: number) => Math.min(Math.max(v, HALF_CROP), STD_SIZE - HALF_CROP);
  return {
    transform,
    mouthCentre,
    left: Math.round(clamp(mouthCentre[0])) - HALF_CROP + CENTRE_CROP_MARGIN,
    top: Math.round(clamp(mouthCentre[1])) - HALF_CROP + CENTRE_CROP_MARGIN,
  };
}

/**
 * Samples the 88x88 gray ROI straight from the source frame through the inverse transform
 * (bilinear, black outside the frame, as skimage's warp), so the full 256x256 face is never
 * built. Writes normalised values into `out` at `offset`, and 8-bit gray into `bytes` if given.
 */
export function warpRoi(
  frame: RgbFrame,
  geometry: RoiGeometry,
  out: Float32Array,
  offset: number,
  bytes?: Uint8Array,
): void {
  const { width, height, data } = frame;
  const inverse = invertSimilarity(geometry.transform);
  const scale = 1 / (255 * PIXEL_STD);
  const shift = PIXEL_MEAN / PIXEL_STD;
  const stride = width * 3;
  for (let row = 0; row < ROI_SIZE; row++) {
    const y = geometry.top + row;
    let sx = inverse.a * geometry.left - inverse.b * y + inverse.tx;
    let sy = inverse.b * geometry.left + inverse.a * y + inverse.ty;
    for (let col = 0; col < ROI_SIZE; col++, sx += inverse.a, sy += inverse.b) {
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      let gray: number;
      if (x0 >= 0 && y0 >= 0 && x0 + 1 < width && y0 + 1 < height) {
        const p = y0 * stride + x0 * 3;
        gray = bilinearGray(data, p, p + 3, p + stride, p + stride + 3, fx, fy);
      } else {
        gray = bilinearGrayEdge(frame, x0, y0, fx, fy);
      }
      const index = offset + row * ROI_SIZE + col;
      out[index] = gray * scale - shift;
      if (bytes) bytes[row * ROI_SIZE + col] = Math.round(gray);
    }
  }
}

function lumaAt(data: Uint8Array, p: number): number {
  return 0.299 * data[p]! + 0.587 * data[p + 1]! + 0.114 * data[p + 2]!;
}

function bilinearGray(
  data: Uint8Array,
  p00: number,
  p10: number,
  p01: number,
  p11: number,
  fx: number,
  fy: number,
): number {
  const top = lumaAt(data, p00) * (1 - fx) + lumaAt(data, p10) * fx;
  const bottom = lumaAt(data, p01) * (1 - fx) + lumaAt(data, p11) * fx;
  return top * (1 - fy) + bottom * fy;
}

function bilinearGrayEdge(frame: RgbFrame, x0: number, y0: number, fx: number, fy: number): number {
  const at = (x: number, y: number) =>
    x < 0 || y < 0 || x >= frame.width || y >= frame.height ? 0 : lumaAt(frame.data, (y * frame.width + x) * 3);
  const top = at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx;
  const bottom = at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx;
  return top * (1 - fy) + bottom * fy;
}

/** A square face box in source pixels. */
export interface SquareBox {
  x: number;
  y: number;
  size: number;
}

/**
 * Resamples a square box of an RGB frame to size x size x 3 floats in 0..255 (bilinear,
 * black outside), the landmark net's input. Crops each face here rather than in tfjs so
 * only the small crops cross into WASM.
 */
export function cropRgb(frame: RgbFrame, box: SquareBox, size: number, out: Float32Array, offset = 0): void {
  const { width, height, data } = frame;
  const step = box.size / size;
  // Per column: the two source pixel offsets (-1 outside the frame) and the weight.
  const left = new Int32Array(size);
  const right = new Int32Array(size);
  const weightX = new Float32Array(size);
  for (let col = 0; col < size; col++) {
    const sx = box.x + (col + 0.5) * step - 0.5;
    const x0 = Math.floor(sx);
    weightX[col] = sx - x0;
    left[col] = x0 >= 0 && x0 < width ? x0 * 3 : -1;
    right[col] = x0 + 1 >= 0 && x0 + 1 < width ? (x0 + 1) * 3 : -1;
  }
  for (let row = 0; row < size; row++) {
    const sy = box.y + (row + 0.5) * step - 0.5;
    const y0 = Math.floor(sy);
    const fy = sy - y0;
    const upper = y0 >= 0 && y0 < height ? y0 * width * 3 : -1;
    const lower = y0 + 1 >= 0 && y0 + 1 < height ? (y0 + 1) * width * 3 : -1;
    let o = offset + row * size * 3;
    for (let col = 0; col < size; col++, o += 3) {
      const fx = weightX[col]!;
      const l = left[col]!;
      const r = right[col]!;
      const w00 = upper >= 0 && l >= 0 ? (1 - fx) * (1 - fy) : 0;
      const w10 = upper >= 0 && r >= 0 ? fx * (1 - fy) : 0;
      const w01 = lower >= 0 && l >= 0 ? (1 - fx) * fy : 0;
      const w11 = lower >= 0 && r >= 0 ? fx * fy : 0;
      const p00 = upper + l;
      const p10 = upper + r;
      const p01 = lower + l;
      const p11 = lower + r;
      for (let c = 0; c < 3; c++) {
        out[o + c] =
          (w00 ? w00 * data[p00 + c]! : 0) +
          (w10 ? w10 * data[p10 + c]! : 0) +
          (w01 ? w01 * data[p01 + c]! : 0) +
          (w11 ? w11 * data[p11 + c]! : 0);
      }
    }
  }
}
