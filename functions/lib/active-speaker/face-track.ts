import type { RelativeBox } from '../contracts/common';
import type { FacesDocument } from '../contracts/documents';
import { MODEL_FPS } from './active-speaker-model';

/** A face on one frame, in pixels: its centre and half its larger side. */
export interface FaceSquare {
  cx: number;
  cy: number;
  half: number;
}

export interface FaceTrackFrames {
  trackId: string;
  /** Frame index (at 25 fps) of squares[0]. */
  firstFrame: number;
  squares: FaceSquare[];
}

/** LR-ASD's evaluation smooths the crop's centre and size with a median over 13 frames. */
const SMOOTHING_FRAMES = 13;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

/** A running median over `width` values, the window cut short at the ends rather than padded. */
function medianFilter(values: number[], width: number): number[] {
  const reach = width >> 1;
  return values.map((_, index) => median(values.slice(Math.max(0, index - reach), index + reach + 1)));
}

interface Sample {
  time: number;
  box: RelativeBox;
}

/** The box at `time`, linear between the samples either side (the first or last one outside them). */
function interpolate(before: Sample | undefined, after: Sample | undefined, time: number): RelativeBox {
  if (!before || !after) return (after ?? before ?? { box: { left: 0, top: 0, width: 0, height: 0 } }).box;
  const t = after.time === before.time ? 0 : (time - before.time) / (after.time - before.time);
  const mix = (x: number, y: number) => x + (y - x) * t;
  return {
    left: mix(before.box.left, after.box.left),
    top: mix(before.box.top, after.box.top),
    width: mix(before.box.width, after.box.width),
    height: mix(before.box.height, after.box.height),
  };
}

/**
 * Every face track on every frame. Rekognition samples the video (every 200 ms or so), so each
 * track runs from half a sample interval before its first detection to half one after its last,
 * its box interpolated in between; then, as LR-ASD's evaluation does, the square around each box
 * is median-smoothed over 13 frames so the crop does not jitter.
 */
export function faceTrackFrames(
  faces: FacesDocument,
  frame: { width: number; height: number; count: number },
): FaceTrackFrames[] {
  const reach = Math.min(faces.frameIntervalSec, 1) / 2;
  return faces.tracks.flatMap((track) => {
    const samples = faces.detections
      .filter((detection) => detection.trackId === track.trackId)
      .sort((a, b) => a.time - b.time);
    const first = samples[0];
    const last = samples.at(-1);
    if (!first || !last) return [];
    const firstFrame = Math.max(0, Math.round((first.time - reach) * MODEL_FPS));
    const lastFrame = Math.min(frame.count - 1, Math.round((last.time + reach) * MODEL_FPS));
    if (lastFrame < firstFrame) return [];
    // Frames go forward in time, so the first sample at or after each one only moves forward.
    let after = 0;
    const raw = Array.from({ length: lastFrame - firstFrame + 1 }, (_, offset) => {
      const time = (firstFrame + offset) / MODEL_FPS;
      while ((samples[after]?.time ?? Infinity) < time) after++;
      const box = interpolate(samples[after - 1], samples[after], time);
      const width = box.width * frame.width;
      const height = box.height * frame.height;
      return {
        cx: (box.left + box.width / 2) * frame.width,
        cy: (box.top + box.height / 2) * frame.height,
        half: Math.max(width, height) / 2,
      };
    });
    const smooth = (pick: (square: FaceSquare) => number) => medianFilter(raw.map(pick), SMOOTHING_FRAMES);
    const [cx, cy, half] = [smooth((s) => s.cx), smooth((s) => s.cy), smooth((s) => s.half)];
    return [
      {
        trackId: track.trackId,
        firstFrame,
        squares: raw.map((_, index) => ({ cx: cx[index] ?? 0, cy: cy[index] ?? 0, half: half[index] ?? 0 })),
      },
    ];
  });
}
