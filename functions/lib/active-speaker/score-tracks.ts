import { activeSpeakersDocumentSchema, type ActiveSpeakersDocument, type FacesDocument } from '../contracts/documents';
import type { SpeechSegment } from '../speech/voice-activity';
import { FACE_SIZE, MFCC_ROWS_PER_FRAME, MODEL_FPS, type ActiveSpeakerModel } from './active-speaker-model';
import { cropFace } from './face-crop';
import { faceTrackFrames, type FaceTrackFrames } from './face-track';
import type { FrameRange, GreyFrameSource } from './frame-source';
import type { MfccExtractor } from './mfcc';

/** One pass of the model sees at most this much of a track (10 s); longer speech is cut evenly. */
export const MAX_WINDOW_FRAMES = 250;
/** Frames of context on each side of the speech it scores, so a short word is not scored blind. */
export const CONTEXT_FRAMES = 12;
/** Upstream smooths the logits over ±2 frames. */
const SMOOTHING_REACH = 2;
/** Ranges to decode closer than this (2 s) are decoded as one, rather than seeking. */
const DECODE_GAP_FRAMES = 50;
/** Finished windows that may wait for the model while decoding goes on. */
const MAX_PENDING_WINDOWS = 4;

/** One run of the model: frames [from, to) of one track, reporting [reportFrom, reportTo). */
export interface ScoringPlan {
  track: number;
  from: number;
  to: number;
  reportFrom: number;
  reportTo: number;
}

export interface ScoreTracksPorts {
  model: ActiveSpeakerModel;
  frames: GreyFrameSource;
  mfcc: MfccExtractor;
  /** Throws when the step is out of time; called before each run of the model. */
  checkDeadline?: () => void;
}

export interface ScoreTracksInput {
  faces: FacesDocument;
  /** Speech segments; undefined when unknown, in which case every frame is scored. */
  speech: readonly SpeechSegment[] | undefined;
  /** Frames in the video at 25 fps. */
  frameCount: number;
}

/** Whether each frame's middle falls in speech. */
function speechFrames(speech: readonly SpeechSegment[] | undefined, frameCount: number): Uint8Array {
  const inSpeech = new Uint8Array(frameCount);
  if (!speech) return inSpeech.fill(1);
  for (const segment of speech) {
    const first = Math.max(0, Math.ceil(segment.start * MODEL_FPS - 0.5));
    const last = Math.min(frameCount - 1, Math.floor(segment.end * MODEL_FPS - 0.5));
    for (let frame = first; frame <= last; frame++) inSpeech[frame] = 1;
  }
  return inSpeech;
}

/**
 * The model runs over each track's frames in speech: each stretch of speech while the face is
 * on screen, cut into windows of at most 10 s, each widened by half a second of the track on
 * either side. Sorted by first frame, the order the video is decoded in.
 */
export function planScoring(tracks: readonly FaceTrackFrames[], inSpeech: Uint8Array): ScoringPlan[] {
  const plans: ScoringPlan[] = [];
  tracks.forEach((track, index) => {
    const first = track.firstFrame;
    const end = first + track.squares.length;
    let frame = first;
    while (frame < end) {
      if (!inSpeech[frame]) {
        frame++;
        continue;
      }
      const runStart = frame;
      while (frame < end && inSpeech[frame]) frame++;
      const pieces = Math.ceil((frame - runStart) / MAX_WINDOW_FRAMES);
      const length = Math.ceil((frame - runStart) / pieces);
      for (let reportFrom = runStart; reportFrom < frame; reportFrom += length) {
        const reportTo = Math.min(frame, reportFrom + length);
        plans.push({
          track: index,
          from: Math.max(first, reportFrom - CONTEXT_FRAMES),
          to: Math.min(end, reportTo + CONTEXT_FRAMES),
          reportFrom,
          reportTo,
        });
      }
    }
  });
  return plans.sort((a, b) => a.from - b.from || a.track - b.track);
}

/** The frames the plans need, as few decode runs as sensible. */
export function decodeRanges(plans: readonly ScoringPlan[]): FrameRange[] {
  const ranges: FrameRange[] = [];
  for (const plan of [...plans].sort((a, b) => a.from - b.from)) {
    const last = ranges.at(-1);
    if (last && plan.from <= last.to + DECODE_GAP_FRAMES) last.to = Math.max(last.to, plan.to);
    else ranges.push({ from: plan.from, to: plan.to });
  }
  return ranges;
}

interface TrackScores {
  raw: Float32Array;
  /** 2: scored as speech to report, 1: scored as context only, 0: not scored. */
  kind: Uint8Array;
}

/** Mean of the scored logits within ±2 frames, at each reported frame; null elsewhere. */
function smoothed(scores: TrackScores): Array<number | null> {
  const { raw, kind } = scores;
  return Array.from(kind, (value, frame) => {
    if (value !== 2) return null;
    let sum = 0;
    let count = 0;
    for (let other = frame - SMOOTHING_REACH; other <= frame + SMOOTHING_REACH; other++) {
      if (kind[other]) {
        sum += raw[other] ?? 0;
        count++;
      }
    }
    return Math.round((sum / count) * 1000) / 1000;
  });
}

/**
 * LR-ASD speaking scores for every face track, per frame, during speech. The video is decoded
 * once, in order, for all tracks; each face is cropped as frames pass, and each finished window
 * goes to the model while decoding continues.
 */
export async function scoreActiveSpeakers(
  input: ScoreTracksInput,
  ports: ScoreTracksPorts,
): Promise<ActiveSpeakersDocument> {
  const { frames: source, model, mfcc } = ports;
  const tracks = faceTrackFrames(input.faces, { width: source.width, height: source.height, count: input.frameCount });
  const inSpeech = speechFrames(input.speech, input.frameCount);
  const plans = planScoring(tracks, inSpeech);
  const states = tracks.map((track) => ({
    track,
    raw: new Float32Array(track.squares.length),
    kind: new Uint8Array(track.squares.length),
  }));
  const stateOf = (plan: ScoringPlan) => {
    const state = states[plan.track];
    if (!state) throw new Error(`A scoring plan names track ${plan.track}, of ${states.length}.`);
    return state;
  };

  const crops = new Map<ScoringPlan, Uint8Array>();
  let nextPlan = 0;
  const pending: Array<Promise<void>> = [];
  let chain = Promise.resolve();

  const score = (plan: ScoringPlan, faces: Uint8Array) => {
    const run = async () => {
      ports.checkDeadline?.();
      const frames = plan.to - plan.from;
      const logits = await model.score({
        frames,
        faces,
        mfcc: mfcc.rows(plan.from * MFCC_ROWS_PER_FRAME, plan.to * MFCC_ROWS_PER_FRAME),
      });
      const { track, raw, kind } = stateOf(plan);
      for (let frame = plan.from; frame < plan.to; frame++) {
        const at = frame - track.firstFrame;
        const reported = frame >= plan.reportFrom && frame < plan.reportTo;
        if (reported || !kind[at]) {
          raw[at] = logits[frame - plan.from] ?? 0;
          kind[at] = reported ? 2 : Math.max(kind[at] ?? 0, 1);
        }
      }
    };
    // One run at a time: the model uses every core itself.
    chain = chain.then(run);
    // Handled here so a failure while decoding goes on is not an unhandled rejection; awaited below.
    chain.catch(() => undefined);
    return chain;
  };

  let lastDecoded = -1;
  for await (const { index, frame } of source.frames(decodeRanges(plans))) {
    lastDecoded = index;
    for (let plan = plans[nextPlan]; plan && plan.from <= index; plan = plans[++nextPlan]) {
      crops.set(plan, new Uint8Array((plan.to - plan.from) * FACE_SIZE * FACE_SIZE));
    }
    for (const [plan, faces] of crops) {
      if (index < plan.from || index >= plan.to) continue;
      const { track } = stateOf(plan);
      const square = track.squares[index - track.firstFrame];
      if (square) cropFace(frame, square, faces, (index - plan.from) * FACE_SIZE * FACE_SIZE);
      if (index === plan.to - 1) {
        crops.delete(plan);
        pending.push(score(plan, faces));
      }
    }
    if (pending.length >= MAX_PENDING_WINDOWS) await pending.shift();
  }
  // A video that ends before its faces do: score what was decoded of the windows still open.
  for (const [plan, faces] of crops) {
    const to = Math.min(plan.to, lastDecoded + 1);
    if (to <= plan.reportFrom) continue;
    const cut = { ...plan, to, reportTo: Math.min(plan.reportTo, to) };
    pending.push(score(cut, faces.subarray(0, (to - plan.from) * FACE_SIZE * FACE_SIZE)));
  }
  await Promise.all(pending);

  return activeSpeakersDocumentSchema.parse({
    version: 1,
    model: model.model,
    fps: MODEL_FPS,
    tracks: states.map((state) => ({
      trackId: state.track.trackId,
      firstFrame: state.track.firstFrame,
      scores: smoothed(state),
    })),
    ...(input.speech && input.speech.length === 0 ? { reason: 'no speech' } : {}),
  });
}
