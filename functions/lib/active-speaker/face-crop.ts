import { FACE_SIZE } from './active-speaker-model';
import type { FaceSquare } from './face-track';

/** LR-ASD's crop: 40% more than the face on each side and 80% more below it, where the mouth is. */
const CROP_SCALE = 0.4;
/** What the crop shows beyond the frame's edges. */
const OUTSIDE = 110;
/** The crop is resized to this, and its centre FACE_SIZE square kept. */
const RESIZED = 224;
const KEPT_FROM = (RESIZED - FACE_SIZE) / 2;

export interface GreyFrame {
  width: number;
  height: number;
  /** width x height bytes, row by row. */
  pixels: Uint8Array;
}

/**
 * Writes the 112 x 112 grey crop LR-ASD reads for one face into `out` at `offset`. The crop
 * spans rows cy - s to cy + 1.8 s and columns cx - 1.4 s to cx + 1.4 s (s: half the face),
 * grey 110 beyond the frame; it is resized to 224 x 224 with bilinear sampling at pixel
 * centres (OpenCV's INTER_LINEAR, no smoothing when shrinking) and its centre kept. Only the
 * kept pixels are computed.
 */
export function cropFace(frame: GreyFrame, face: FaceSquare, out: Uint8Array, offset: number): void {
  const s = face.half;
  // Upstream pads the frame by this many pixels and cuts with whole-pixel indices into the padded frame.
  const pad = Math.floor(s * (1 + 2 * CROP_SCALE));
  const top = Math.floor(face.cy + pad - s) - pad;
  const bottom = Math.floor(face.cy + pad + s * (1 + 2 * CROP_SCALE)) - pad;
  const left = Math.floor(face.cx + pad - s * (1 + CROP_SCALE)) - pad;
  const right = Math.floor(face.cx + pad + s * (1 + CROP_SCALE)) - pad;
  const cropHeight = Math.max(1, bottom - top);
  const cropWidth = Math.max(1, right - left);

  const pixel = (row: number, column: number) => {
    const y = top + row;
    const x = left + column;
    return y >= 0 && y < frame.height && x >= 0 && x < frame.width ? (frame.pixels[y * frame.width + x] ?? 0) : OUTSIDE;
  };
  const columns = samplingGrid(cropWidth);
  const rows = samplingGrid(cropHeight);
  for (let i = 0; i < FACE_SIZE; i++) {
    const y = rows.at[i] ?? 0;
    const wy = rows.weight[i] ?? 0;
    const y1 = Math.min(y + 1, cropHeight - 1);
    for (let j = 0; j < FACE_SIZE; j++) {
      const x = columns.at[j] ?? 0;
      const wx = columns.weight[j] ?? 0;
      const x1 = Math.min(x + 1, cropWidth - 1);
      const upper = pixel(y, x) * (1 - wx) + pixel(y, x1) * wx;
      const lower = pixel(y1, x) * (1 - wx) + pixel(y1, x1) * wx;
      out[offset + i * FACE_SIZE + j] = Math.round(upper * (1 - wy) + lower * wy);
    }
  }
}

/** For each kept output pixel: the source pixel before it and the weight of the one after. */
function samplingGrid(sourceSize: number): { at: Int32Array; weight: Float64Array } {
  const scale = sourceSize / RESIZED;
  const at = new Int32Array(FACE_SIZE);
  const weight = new Float64Array(FACE_SIZE);
  for (let index = 0; index < FACE_SIZE; index++) {
    const position = (KEPT_FROM + index + 0.5) * scale - 0.5;
    const before = Math.floor(position);
    // Like OpenCV, clamp at the edges rather than blend with what lies past them.
    if (before < 0) at[index] = 0;
    else if (before >= sourceSize - 1) at[index] = sourceSize - 1;
    else {
      at[index] = before;
      weight[index] = position - before;
    }
  }
  return { at, weight };
}
