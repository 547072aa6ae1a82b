import type { RelativeBox } from '../contracts/common';

export interface TrackableDetection {
  time: number;
  box: RelativeBox;
}

export interface TrackingOptions {
  /** Minimum overlap for a detection to continue a track. */
  minIou: number;
  /** A track unseen for longer than this is closed; a face reappearing later starts a new one. */
  maxGapSec: number;
}

export const DEFAULT_TRACKING: TrackingOptions = { minIou: 0.3, maxGapSec: 1.5 };

export function intersectionOverUnion(a: RelativeBox, b: RelativeBox): number {
  const width = Math.min(a.left + a.width, b.left + b.width) - Math.max(a.left, b.left);
  const height = Math.min(a.top + a.height, b.top + b.height) - Math.max(a.top, b.top);
  if (width <= 0 || height <= 0) return 0;
  const intersection = width * height;
  const union = a.width * a.height + b.width * b.height - intersection;
  return union > 0 ? intersection / union : 0;
}

interface Track {
  index: number;
  box: RelativeBox;
  lastSeen: number;
}

interface Pending {
  position: number;
  detection: TrackableDetection;
  track?: Track;
}

/**
 * Rekognition gives no identity across timestamps, so faces are chained frame to frame by
 * box overlap: at each timestamp the best-overlapping (detection, open track) pairs are
 * matched greedily, and whatever stays unmatched starts a new track. Returns one track
 * index per detection, in input order; indices are numbered by first appearance.
 */
export function assignTracks(detections: readonly TrackableDetection[], options = DEFAULT_TRACKING): number[] {
  const byTime = new Map<number, Pending[]>();
  detections.forEach((detection, position) => {
    const group = byTime.get(detection.time) ?? [];
    group.push({ position, detection });
    byTime.set(detection.time, group);
  });

  const tracks: Track[] = [];
  const assigned = new Array<number>(detections.length).fill(-1);
  for (const [time, group] of [...byTime.entries()].sort(([a], [b]) => a - b)) {
    const open = tracks.filter((track) => time - track.lastSeen <= options.maxGapSec);
    const pairs = group
      .flatMap((pending) =>
        open.map((track) => ({ pending, track, iou: intersectionOverUnion(pending.detection.box, track.box) })),
      )
      .filter((pair) => pair.iou >= options.minIou)
      .sort((a, b) => b.iou - a.iou);

    const usedTracks = new Set<Track>();
    for (const { pending, track } of pairs) {
      if (pending.track || usedTracks.has(track)) continue;
      pending.track = track;
      usedTracks.add(track);
    }
    // New faces in reading order (left to right), so track numbers are stable and readable.
    const unmatched = group
      .filter((pending) => !pending.track)
      .sort((a, b) => a.detection.box.left - b.detection.box.left);
    for (const pending of unmatched) {
      pending.track = { index: tracks.length, box: pending.detection.box, lastSeen: time };
      tracks.push(pending.track);
    }
    for (const pending of group) {
      const track = pending.track ?? unreachable();
      track.box = pending.detection.box;
      track.lastSeen = time;
      assigned[pending.position] = track.index;
    }
  }
  return assigned;
}

function unreachable(): never {
  throw new Error('every detection has a track by now');
}
