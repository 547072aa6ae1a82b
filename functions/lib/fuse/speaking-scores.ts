import type { ActiveSpeakersDocument } from '../contracts/documents';
import { mean } from './words';

/** A face that speaks during some interval, with the evidence (a mean LR-ASD logit when scored). */
export interface SpeakingFace {
  faceId: string;
  score?: number;
}

/** LR-ASD logits above this say "speaking" (the model's own decision boundary). */
export const SPEAKING_LOGIT = 0;

/**
 * Reads speakers.json: each track's smoothed per-frame logits, looked up by time. A frame
 * f covers [f/fps, (f+1)/fps); an interval shorter than a frame reads the frame it falls in.
 */
export class SpeakingScores {
  private readonly tracks: ReadonlyMap<string, { firstFrame: number; scores: readonly (number | null)[] }>;
  readonly fps: number;

  constructor(document: ActiveSpeakersDocument) {
    this.fps = document.fps;
    this.tracks = new Map(document.tracks.map((track) => [track.trackId, track]));
  }

  get trackIds(): string[] {
    return [...this.tracks.keys()];
  }

  /** The mean logit of one track over [start, end]; undefined where it was not scored. */
  meanScore(trackId: string, start: number, end: number): number | undefined {
    const track = this.tracks.get(trackId);
    if (!track) return undefined;
    const first = Math.floor(start * this.fps);
    const last = Math.max(first, Math.ceil(end * this.fps) - 1);
    const values: number[] = [];
    for (let frame = first; frame <= last; frame++) {
      const value = track.scores[frame - track.firstFrame];
      if (typeof value === 'number' && Number.isFinite(value)) values.push(value);
    }
    return values.length ? mean(values) : undefined;
  }

  /** Tracks whose mean logit over [start, end] says speaking, the most confident first. */
  speakingDuring(start: number, end: number): SpeakingFace[] {
    const speaking: Array<Required<SpeakingFace>> = [];
    for (const trackId of this.tracks.keys()) {
      const score = this.meanScore(trackId, start, end);
      if (score !== undefined && score > SPEAKING_LOGIT) speaking.push({ faceId: trackId, score });
    }
    return speaking.sort((a, b) => b.score - a.score || a.faceId.localeCompare(b.faceId));
  }
}
