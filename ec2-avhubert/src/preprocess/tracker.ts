/* eslint-disable @typescript-eslint/no-non-null-assertion -- numeric kernels over typed arrays: every index is in range by construction, and `!` keeps the hot loops free of fallbacks. */
import type { FaceBox, LandmarkEngine } from './face-landmarks';
import type { Landmarks } from './landmark-track';
import type { RgbFrame, SquareBox } from './roi';

/**
 * How an engine's detector frames a face relative to the landmarks' own bounding box, so a
 * box tracked from the last landmarks frames the face as a detection would.
 */
export interface BoxFraming {
  /** Box side over the landmarks' extent. */
  boxPerExtent: number;
  /** Box centre minus landmark centre, as fractions of the extent (x, y). */
  centreShift: [number, number];
  /** Landmarks whose box ratio or centre stray outside these are not a face (or lost it). */
  minRatio: number;
  maxRatio: number;
  maxCentreOffset: number;
}

/**
 * face-api: measured on the GRID clips, TinyFaceDetector's square box is 1.2-1.35 times the
 * landmarks' extent, centred on them.
 */
export const FACE_API_FRAMING: BoxFraming = {
  boxPerExtent: 1.27,
  centreShift: [0, 0],
  minRatio: 1.0,
  maxRatio: 1.7,
  maxCentreOffset: 0.2,
};

export interface TrackerStats {
  detections: number;
  detectMs: number;
  landmarkMs: number;
}

/**
 * Finds a face with the detector every `detectEvery` frames (or as soon as it is lost) and
 * follows it in between with a box taken from the previous landmarks, running the landmark
 * net on a whole batch of frames at once.
 */
export class FaceTracker {
  private trackBox: SquareBox | null = null;
  private framesSinceDetection = Number.POSITIVE_INFINITY;
  readonly stats: TrackerStats = { detections: 0, detectMs: 0, landmarkMs: 0 };

  private readonly framing: BoxFraming;

  constructor(
    private readonly engine: LandmarkEngine,
    private readonly detectEvery: number,
  ) {
    this.framing = engine.framing ?? FACE_API_FRAMING;
  }

  /** Landmarks for consecutive frames; null where no face is found. */
  async track(frames: ReadonlyArray<RgbFrame>): Promise<Array<Landmarks | null>> {
    let box = this.trackBox;
    let detected = false;
    if (box === null || this.framesSinceDetection >= this.detectEvery) {
      box = await this.detect(frames);
      detected = true;
      if (box === null) {
        this.trackBox = null;
        return frames.map(() => null);
      }
    }
    const result = await this.landmarksWithin(frames, box);
    const lost = result.findIndex((points) => points === null);
    if (lost >= 0 && !detected) {
      // The tracked box drifted off: look again from where it was lost.
      const retryFrames = frames.slice(lost);
      const retryBox = await this.detect(retryFrames);
      if (retryBox) {
        const retried = await this.landmarksWithin(retryFrames, retryBox);
        retried.forEach((points, i) => (result[lost + i] = points));
      }
    }
    const last = result[result.length - 1];
    this.trackBox = last ? boxAround(last, this.framing) : null;
    this.framesSinceDetection += frames.length;
    return result;
  }

  private async detect(frames: ReadonlyArray<RgbFrame>): Promise<SquareBox | null> {
    const started = performance.now();
    // The first frame, else the last: a face turning up mid-batch is still caught.
    const candidates = frames.length > 1 ? [frames[0]!, frames[frames.length - 1]!] : [frames[0]!];
    try {
      for (const frame of candidates) {
        this.stats.detections++;
        const face = await this.engine.detectFace(frame);
        if (face) {
          this.framesSinceDetection = 0;
          return squareOf(face);
        }
      }
      return null;
    } finally {
      this.stats.detectMs += performance.now() - started;
    }
  }

  private async landmarksWithin(frames: ReadonlyArray<RgbFrame>, box: SquareBox): Promise<Array<Landmarks | null>> {
    const started = performance.now();
    const found = await this.engine.landmarks(
      frames,
      frames.map(() => box),
    );
    this.stats.landmarkMs += performance.now() - started;
    return found.map((points) => (fitsBox(points, box, this.framing) ? points : null));
  }
}

export function squareOf(face: FaceBox): SquareBox {
  const size = Math.max(face.width, face.height);
  return { x: face.x + face.width / 2 - size / 2, y: face.y + face.height / 2 - size / 2, size };
}

/** The middle of the landmarks' bounding box and its larger side. */
export function extentOf(points: Landmarks): { cx: number; cy: number; extent: number } {
  let minX = Infinity;
  let maxX = -Infinity;
  let minY = Infinity;
  let maxY = -Infinity;
  for (let k = 0; k < points.length; k += 2) {
    minX = Math.min(minX, points[k]!);
    maxX = Math.max(maxX, points[k]!);
    minY = Math.min(minY, points[k + 1]!);
    maxY = Math.max(maxY, points[k + 1]!);
  }
  return { cx: (minX + maxX) / 2, cy: (minY + maxY) / 2, extent: Math.max(maxX - minX, maxY - minY) };
}

export function boxAround(points: Landmarks, framing: BoxFraming = FACE_API_FRAMING): SquareBox {
  const { cx, cy, extent } = extentOf(points);
  const size = extent * framing.boxPerExtent;
  const centreX = cx + framing.centreShift[0] * extent;
  const centreY = cy + framing.centreShift[1] * extent;
  return { x: centreX - size / 2, y: centreY - size / 2, size };
}

/** Whether landmarks are plausibly a face framed by `box`, and in the dlib layout. */
export function fitsBox(points: Landmarks, box: SquareBox, framing: BoxFraming = FACE_API_FRAMING): boolean {
  const { cx, cy, extent } = extentOf(points);
  if (extent <= 0) return false;
  const ratio = box.size / extent;
  if (ratio < framing.minRatio || ratio > framing.maxRatio) return false;
  const expectedX = cx + framing.centreShift[0] * extent;
  const expectedY = cy + framing.centreShift[1] * extent;
  const offset = Math.hypot(expectedX - (box.x + box.size / 2), expectedY - (box.y + box.size / 2));
  if (offset > framing.maxCentreOffset * extent) return false;
  // Eyes above the nose tip above the mouth, along the face's own vertical.
  const mean = (from: number, to: number): [number, number] => {
    let x = 0;
    let y = 0;
    for (let i = from; i < to; i++) {
      x += points[2 * i]!;
      y += points[2 * i + 1]!;
    }
    return [x / (to - from), y / (to - from)];
  };
  const eyes = mean(36, 48);
  const mouth = mean(48, 68);
  const nose = [points[66]!, points[67]!];
  const down = [mouth[0] - eyes[0], mouth[1] - eyes[1]];
  const along = ((nose[0]! - eyes[0]) * down[0]! + (nose[1]! - eyes[1]) * down[1]!) / (down[0]! ** 2 + down[1]! ** 2);
  return along > 0.2 && along < 0.95;
}
