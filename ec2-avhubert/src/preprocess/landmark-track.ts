/* eslint-disable @typescript-eslint/no-non-null-assertion -- numeric kernels over typed arrays: every index is in range by construction, and `!` keeps the hot loops free of fallbacks. */
/** 68 landmarks as interleaved x, y pairs (136 numbers), in source-frame pixels. */
export type Landmarks = Float32Array;

export const LANDMARK_COUNT = 68;

export interface ResolvedFrame {
  index: number;
  /** Detected, interpolated or held landmarks; null where no face was seen nearby at all. */
  landmarks: Landmarks | null;
  detected: boolean;
}

export interface SmoothedFrame extends ResolvedFrame {
  /** Mean of the 12-frame window the similarity transform is estimated from. */
  smoothed: Landmarks | null;
}

/**
 * Fills frames whose landmarks are missing, frame by frame as a stream, as AV-HuBERT's
 * `landmarks_interpolate`: linear between the detections around a gap, and copies of the
 * nearest detection at the edges. A gap longer than `maxGap` frames is not held in memory
 * until it ends: it is filled with the last detection (or left empty before the first one).
 */
export class LandmarkInterpolator {
  private last: { index: number; landmarks: Landmarks } | null = null;
  private pending: number[] = [];

  constructor(private readonly maxGap = 100) {}

  push(index: number, landmarks: Landmarks | null): ResolvedFrame[] {
    if (landmarks === null) {
      this.pending.push(index);
      return this.pending.length >= this.maxGap ? this.releaseGap() : [];
    }
    const out: ResolvedFrame[] = [];
    const last = this.last;
    for (const gapIndex of this.pending) {
      if (last === null) {
        out.push({ index: gapIndex, landmarks: landmarks, detected: false });
        continue;
      }
      const t = (gapIndex - last.index) / (index - last.index);
      const mixed = new Float32Array(landmarks.length);
      for (let k = 0; k < mixed.length; k++) mixed[k] = last.landmarks[k]! + t * (landmarks[k]! - last.landmarks[k]!);
      out.push({ index: gapIndex, landmarks: mixed, detected: false });
    }
    this.pending = [];
    out.push({ index, landmarks, detected: true });
    this.last = { index, landmarks };
    return out;
  }

  /** Ends the stream: trailing gaps copy the last detection. */
  flush(): ResolvedFrame[] {
    return this.releaseGap();
  }

  private releaseGap(): ResolvedFrame[] {
    const held = this.last?.landmarks ?? null;
    const out = this.pending.map((index) => ({ index, landmarks: held, detected: false }));
    if (this.last && out.length > 0) this.last = { index: out[out.length - 1]!.index, landmarks: this.last.landmarks };
    this.pending = [];
    return out;
  }
}

/**
 * AV-HuBERT's smoothing (`crop_patch` in align_mouth.py): frame i is aligned with the mean of
 * landmarks i .. i+window-1; the last window-1 frames reuse the last full window, and a
 * sequence shorter than the window uses its overall mean.
 */
export class LandmarkSmoother {
  private queue: ResolvedFrame[] = [];
  private readonly sum = new Float64Array(LANDMARK_COUNT * 2);
  private lastSmoothed: Landmarks | null = null;

  constructor(private readonly window = 12) {}

  push(frame: ResolvedFrame): SmoothedFrame[] {
    if (frame.landmarks === null) {
      return [...this.flush(), { ...frame, smoothed: null }];
    }
    this.queue.push(frame);
    addInto(this.sum, frame.landmarks, 1);
    if (this.queue.length < this.window) return [];
    const smoothed = meanOf(this.sum, this.queue.length);
    const head = this.queue.shift()!;
    addInto(this.sum, head.landmarks!, -1);
    this.lastSmoothed = smoothed;
    return [{ ...head, smoothed }];
  }

  flush(): SmoothedFrame[] {
    if (this.queue.length === 0) return [];
    const smoothed = this.lastSmoothed ?? meanOf(this.sum, this.queue.length);
    const out = this.queue.map((frame) => ({ ...frame, smoothed }));
    this.queue = [];
    this.sum.fill(0);
    this.lastSmoothed = null;
    return out;
  }
}

function addInto(sum: Float64Array, landmarks: Landmarks, sign: 1 | -1): void {
  for (let k = 0; k < sum.length; k++) sum[k]! += sign * landmarks[k]!;
}

function meanOf(sum: Float64Array, count: number): Landmarks {
  const mean = new Float32Array(sum.length);
  for (let k = 0; k < sum.length; k++) mean[k] = sum[k]! / count;
  return mean;
}

/** Interpolates and smooths a whole sequence at once (the streaming classes, run to the end). */
export function resolveLandmarkSequence(
  landmarks: ReadonlyArray<Landmarks | null>,
  options: { window?: number; maxGap?: number } = {},
): SmoothedFrame[] {
  const interpolator = new LandmarkInterpolator(options.maxGap ?? Number.POSITIVE_INFINITY);
  const smoother = new LandmarkSmoother(options.window ?? 12);
  const out: SmoothedFrame[] = [];
  const feed = (frames: ResolvedFrame[]) => {
    for (const frame of frames) out.push(...smoother.push(frame));
  };
  landmarks.forEach((points, index) => feed(interpolator.push(index, points)));
  feed(interpolator.flush());
  out.push(...smoother.flush());
  return out;
}

/**
 * Inner-lip opening over mouth width: the mean of the 61-67, 62-66 and 63-65 distances
 * divided by the 48-54 distance. About 0 when the lips touch.
 */
export function mouthOpening(landmarks: Landmarks): number {
  const distance = (i: number, j: number) =>
    Math.hypot(landmarks[2 * i]! - landmarks[2 * j]!, landmarks[2 * i + 1]! - landmarks[2 * j + 1]!);
  const width = distance(48, 54);
  if (width === 0) return 0;
  return (distance(61, 67) + distance(62, 66) + distance(63, 65)) / 3 / width;
}

/** Centred moving average (shorter at the edges): steadies the per-frame opening. */
export function centredMovingAverage(values: ArrayLike<number>, radius: number): number[] {
  const out = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) {
    let sum = 0;
    let count = 0;
    for (let j = Math.max(0, i - radius); j <= Math.min(values.length - 1, i + radius); j++) {
      sum += values[j]!;
      count++;
    }
    out[i] = sum / count;
  }
  return out;
}
