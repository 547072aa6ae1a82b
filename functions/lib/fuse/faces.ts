import type { RelativeBox } from '../contracts/common';
import type { FacesDocument } from '../contracts/documents';

type Detection = FacesDocument['detections'][number];

export interface FaceChoice {
  faceId: string;
  box: RelativeBox;
}

/** A track counts as on screen when seen in at least this share of the best track's frames. */
const PRESENT_SHARE = 0.5;

/** Mouth opening relative to face height, when Rekognition gave the upper and lower lip. */
function mouthOpening(detection: Detection): number | undefined {
  const { mouth, box } = detection;
  if (!mouth?.up || !mouth.down || box.height <= 0) return undefined;
  return Math.abs(mouth.down.y - mouth.up.y) / box.height;
}

function spread(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const average = values.reduce((sum, value) => sum + value, 0) / values.length;
  return Math.sqrt(values.reduce((sum, value) => sum + (value - average) ** 2, 0) / values.length);
}

/**
 * The face most likely speaking between start and end: among the tracks on screen for
 * much of that time, the one whose mouth moves most when `preferMovingMouth` is set and
 * landmarks allow it, otherwise the one seen most.
 */
export function pickFace(
  faces: FacesDocument,
  start: number,
  end: number,
  preferMovingMouth: boolean,
): FaceChoice | undefined {
  const tolerance = Math.max(faces.frameIntervalSec / 2, 0.05);
  const byTrack = new Map<string, Detection[]>();
  for (const detection of faces.detections) {
    if (detection.time < start - tolerance || detection.time > end + tolerance) continue;
    const list = byTrack.get(detection.trackId) ?? [];
    list.push(detection);
    byTrack.set(detection.trackId, list);
  }
  if (byTrack.size === 0) return undefined;

  const mostSeen = Math.max(...[...byTrack.values()].map((list) => list.length));
  const candidates = [...byTrack.entries()]
    .filter(([, list]) => list.length >= mostSeen * PRESENT_SHARE)
    .map(([trackId, list]) => ({
      trackId,
      list,
      movement: spread(list.map(mouthOpening).filter((value) => value !== undefined)),
    }));
  const byPresence = (a: (typeof candidates)[number], b: (typeof candidates)[number]) =>
    b.list.length - a.list.length || a.trackId.localeCompare(b.trackId);
  const byMovement = (a: (typeof candidates)[number], b: (typeof candidates)[number]) =>
    b.movement - a.movement || byPresence(a, b);
  const moving = preferMovingMouth && candidates.some((candidate) => candidate.movement > 0);
  const [chosen] = candidates.sort(moving ? byMovement : byPresence);
  if (!chosen) return undefined;

  const middle = (start + end) / 2;
  const closest = chosen.list.reduce((best, detection) =>
    Math.abs(detection.time - middle) < Math.abs(best.time - middle) ? detection : best,
  );
  return { faceId: chosen.trackId, box: closest.box };
}
