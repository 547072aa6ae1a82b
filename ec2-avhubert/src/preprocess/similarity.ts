/* eslint-disable @typescript-eslint/no-non-null-assertion -- numeric kernels over typed arrays: every index is in range by construction, and `!` keeps the hot loops free of fallbacks. */
/**
 * A 2-D similarity transform (rotation, uniform scale, translation):
 *   x' = a*x - b*y + tx,   y' = b*x + a*y + ty
 * where a = s*cos(theta) and b = s*sin(theta).
 */
export interface Similarity {
  a: number;
  b: number;
  tx: number;
  ty: number;
}

/** Points as interleaved x, y pairs. */
export type PointList = ArrayLike<number>;

/**
 * Least-squares similarity taking `src` onto `dst` (Umeyama's closed form in 2-D, no
 * reflection), as skimage's `estimate_transform('similarity', ...)` that AV-HuBERT uses.
 */
export function estimateSimilarity(src: PointList, dst: PointList): Similarity {
  const count = src.length / 2;
  if (count < 2 || src.length !== dst.length || !Number.isInteger(count)) {
    throw new RangeError(
      `estimateSimilarity needs two equal lists of at least 2 points, got ${src.length / 2} and ${dst.length / 2}`,
    );
  }
  let srcMeanX = 0;
  let srcMeanY = 0;
  let dstMeanX = 0;
  let dstMeanY = 0;
  for (let i = 0; i < count; i++) {
    srcMeanX += src[2 * i]!;
    srcMeanY += src[2 * i + 1]!;
    dstMeanX += dst[2 * i]!;
    dstMeanY += dst[2 * i + 1]!;
  }
  srcMeanX /= count;
  srcMeanY /= count;
  dstMeanX /= count;
  dstMeanY /= count;

  let dot = 0;
  let cross = 0;
  let srcVariance = 0;
  for (let i = 0; i < count; i++) {
    const px = src[2 * i]! - srcMeanX;
    const py = src[2 * i + 1]! - srcMeanY;
    const qx = dst[2 * i]! - dstMeanX;
    const qy = dst[2 * i + 1]! - dstMeanY;
    dot += px * qx + py * qy;
    cross += px * qy - py * qx;
    srcVariance += px * px + py * py;
  }
  if (srcVariance === 0) throw new RangeError('estimateSimilarity: the source points all coincide');
  const a = dot / srcVariance;
  const b = cross / srcVariance;
  return { a, b, tx: dstMeanX - (a * srcMeanX - b * srcMeanY), ty: dstMeanY - (b * srcMeanX + a * srcMeanY) };
}

export function applySimilarity(t: Similarity, x: number, y: number): [number, number] {
  return [t.a * x - t.b * y + t.tx, t.b * x + t.a * y + t.ty];
}

export function invertSimilarity(t: Similarity): Similarity {
  const det = t.a * t.a + t.b * t.b;
  const a = t.a / det;
  const b = -t.b / det;
  return { a, b, tx: -(a * t.tx - b * t.ty), ty: -(b * t.tx + a * t.ty) };
}

export function similarityScale(t: Similarity): number {
  return Math.hypot(t.a, t.b);
}

export function similarityRotation(t: Similarity): number {
  return Math.atan2(t.b, t.a);
}
