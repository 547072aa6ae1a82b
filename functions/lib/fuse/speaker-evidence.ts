import type { RelativeBox } from '../contracts/common';
import type { FacesDocument, SPEAKER_EVIDENCE } from '../contracts/documents';
import { pickFace } from './faces';
import type { LoadedInputs } from './inputs';
import { SpeakingScores, type SpeakingFace } from './speaking-scores';

type Span = { start: number; end: number };

/**
 * When more than one face is seen speaking during a word, they are ranked by their scores
 * over this much time either side of it. Upstream LR-ASD also averages over windows of
 * seconds: frame by frame, a face that mouths words without sound often outscores the one
 * that is heard (bench/RESULTS.md, --both-talking).
 */
export const RANK_WINDOW_SEC = 1;

/** What tells who is speaking, best first: LR-ASD's scores, mouth movement, or nothing (voices only). */
export interface SpeakerEvidence {
  kind: (typeof SPEAKER_EVIDENCE)[number];
  /** Faces seen speaking during a unit of the given segment, the most likely first. */
  speakingFaces(unit: Span, segment: Span): SpeakingFace[];
  /** A face's mean speaking logit over a span, when LR-ASD scored it. */
  score(faceId: string, span: Span): number | undefined;
  /** Where a face is in the frame around a span; undefined when it is not seen then. */
  boxAt(faceId: string, span: Span): RelativeBox | undefined;
}

export function speakerEvidence(loaded: LoadedInputs): SpeakerEvidence {
  const { faces, activeSpeakers } = loaded;
  const boxAt = (faceId: string, span: Span) => (faces ? nearestBox(faces, faceId, span) : undefined);
  if (activeSpeakers && activeSpeakers.tracks.length) {
    const scores = new SpeakingScores(activeSpeakers);
    return {
      kind: 'active-speaker',
      speakingFaces: (unit) => {
        const speaking = scores.speakingDuring(unit.start, unit.end);
        if (speaking.length < 2) return speaking;
        const around = (faceId: string) =>
          scores.meanScore(faceId, unit.start - RANK_WINDOW_SEC, unit.end + RANK_WINDOW_SEC) ?? -Infinity;
        return [...speaking].sort((a, b) => around(b.faceId) - around(a.faceId));
      },
      score: (faceId, span) => scores.meanScore(faceId, span.start, span.end),
      boxAt,
    };
  }
  if (faces?.detections.length) {
    // The heuristic judges a whole segment: over one word, 0.2 s face samples say little.
    // The moving mouth wins wherever the faces carry lip landmarks; else the face seen most.
    const bySegment = new Map<Span, SpeakingFace[]>();
    return {
      kind: 'mouth-movement',
      speakingFaces: (_unit, segment) => {
        let chosen = bySegment.get(segment);
        if (!chosen) {
          const face = pickFace(faces, segment.start, segment.end, true);
          chosen = face ? [{ faceId: face.faceId }] : [];
          bySegment.set(segment, chosen);
        }
        return chosen;
      },
      score: () => undefined,
      boxAt,
    };
  }
  return { kind: 'voices', speakingFaces: () => [], score: () => undefined, boxAt };
}

/** The face's detection nearest the span's middle, within the span and half a sampling interval around it. */
function nearestBox(faces: FacesDocument, faceId: string, span: Span): RelativeBox | undefined {
  const tolerance = Math.max(faces.frameIntervalSec / 2, 0.05);
  const middle = (span.start + span.end) / 2;
  let best: FacesDocument['detections'][number] | undefined;
  for (const detection of faces.detections) {
    if (detection.trackId !== faceId) continue;
    if (detection.time < span.start - tolerance || detection.time > span.end + tolerance) continue;
    if (!best || Math.abs(detection.time - middle) < Math.abs(best.time - middle)) best = detection;
  }
  return best?.box;
}
