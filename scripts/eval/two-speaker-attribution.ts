/**
 * How well a result tells the two people of a make-two-speaker-clip.sh video apart: the left
 * person speaks for the first half, the right one for the second. Used by the integration
 * test (normal videos) and the benchmark (--both-talking).
 */
import type { FacesDocument, ResultDocument } from '../../functions/lib/contracts/documents';

export interface TwoSpeakerAttribution {
  words: number;
  /** Words whose speaker's face is the one on the side that spoke then. */
  onRightFace: number;
  share: number;
  /** Each speaker's face and the side it is on ('left', 'right', or undefined off screen). */
  speakers: Array<{ id: string; label: string; faceId?: string; side?: 'left' | 'right' }>;
}

/** Which half of the frame each face track sits in, by the mean centre of its boxes. */
export function faceSides(faces: FacesDocument): Map<string, 'left' | 'right'> {
  const centres = new Map<string, number[]>();
  for (const detection of faces.detections) {
    const list = centres.get(detection.trackId) ?? [];
    list.push(detection.box.left + detection.box.width / 2);
    centres.set(detection.trackId, list);
  }
  return new Map(
    [...centres].map(([trackId, list]) => {
      const mean = list.reduce((sum, value) => sum + value, 0) / list.length;
      return [trackId, mean < 0.5 ? 'left' : 'right'] as const;
    }),
  );
}

export function twoSpeakerAttribution(
  result: ResultDocument,
  faces: FacesDocument,
  switchAtSec = 3,
): TwoSpeakerAttribution {
  const sides = faceSides(faces);
  const faceOf = new Map(result.speakers.map((speaker) => [speaker.id, speaker.faceId]));
  const words = result.segments.flatMap((segment) => segment.words);
  const onRightFace = words.filter((word) => {
    const faceId = faceOf.get(word.speaker);
    const expected = (word.start + word.end) / 2 < switchAtSec ? 'left' : 'right';
    return faceId !== undefined && sides.get(faceId) === expected;
  }).length;
  return {
    words: words.length,
    onRightFace,
    share: words.length ? onRightFace / words.length : 0,
    speakers: result.speakers.map((speaker) => ({
      id: speaker.id,
      label: speaker.label,
      ...(speaker.faceId ? { faceId: speaker.faceId, side: sides.get(speaker.faceId) } : {}),
    })),
  };
}
