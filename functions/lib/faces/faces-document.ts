import type { FacesDocument } from '../contracts/documents';
import { facesDocumentSchema } from '../contracts/documents';
import type { Point } from '../contracts/common';
import type { FaceDetectionPage } from '../ports';
import { assignTracks, DEFAULT_TRACKING, type TrackingOptions } from './track-faces';

type DetectedFace = FaceDetectionPage['faces'][number];

const clamp01 = (value: number) => Math.min(1, Math.max(0, value));

function mouthOf(face: DetectedFace): FacesDocument['detections'][number]['mouth'] {
  const point = (type: string): Point | undefined => {
    const landmark = face.landmarks.find((candidate) => candidate.type === type);
    return landmark ? { x: landmark.x, y: landmark.y } : undefined;
  };
  const left = point('mouthLeft');
  const right = point('mouthRight');
  if (!left || !right) return undefined;
  const up = point('mouthUp');
  const down = point('mouthDown');
  return { left, right, ...(up ? { up } : {}), ...(down ? { down } : {}) };
}

/** The typical gap between sampled timestamps: the median, so a missing frame does not skew it. */
function frameInterval(times: number[]): number {
  const distinct = [...new Set(times)].sort((a, b) => a - b);
  const gaps = distinct.slice(1).map((time, index) => time - (distinct[index] ?? time));
  const median = gaps.sort((a, b) => a - b)[Math.floor(gaps.length / 2)];
  return median === undefined ? 0 : Number(median.toFixed(3));
}

/** Turns Rekognition's detections (all pages) into faces.json: seconds, 0..1 confidence, mouths, tracks. */
export function buildFacesDocument(
  faces: readonly DetectedFace[],
  durationSec: number,
  tracking: TrackingOptions = DEFAULT_TRACKING,
): FacesDocument {
  const sorted = [...faces].sort((a, b) => a.timestampMs - b.timestampMs || a.box.left - b.box.left);
  const trackIndex = assignTracks(
    sorted.map((face) => ({ time: face.timestampMs / 1000, box: face.box })),
    tracking,
  );

  const detections = sorted.map((face, index) => {
    const mouth = mouthOf(face);
    return {
      time: face.timestampMs / 1000,
      trackId: `face-${(trackIndex[index] ?? 0) + 1}`,
      box: face.box,
      confidence: clamp01(face.confidence),
      ...(face.brightness === undefined ? {} : { brightness: Math.min(100, Math.max(0, face.brightness)) }),
      ...(mouth ? { mouth } : {}),
    };
  });

  const tracks = new Map<string, FacesDocument['tracks'][number]>();
  for (const detection of detections) {
    const track = tracks.get(detection.trackId);
    if (track) {
      track.lastSeen = detection.time;
      track.detections++;
    } else {
      tracks.set(detection.trackId, {
        trackId: detection.trackId,
        firstSeen: detection.time,
        lastSeen: detection.time,
        detections: 1,
      });
    }
  }

  return facesDocumentSchema.parse({
    version: 1,
    frameIntervalSec: frameInterval(detections.map((detection) => detection.time)),
    durationSec: Math.max(0, durationSec),
    detections,
    tracks: [...tracks.values()].sort((a, b) => Number(a.trackId.slice(5)) - Number(b.trackId.slice(5))),
  });
}
