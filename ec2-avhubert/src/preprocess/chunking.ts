export interface TimeSpan {
  start: number;
  end: number;
}

/** A chunk as frame indices: [startFrame, endFrame). */
export interface FrameSpan {
  startFrame: number;
  endFrame: number;
}

/** LRS3, which AV-HuBERT was fine-tuned on, cut its utterances at 15 s. */
export const MAX_CHUNK_SECONDS = 15;

export interface SpeechChunkOptions {
  /** Longest chunk. Default MAX_CHUNK_SECONDS. */
  maxChunkSeconds?: number;
  /** Lips move a little before and after the sound: each segment is widened by this. Default 0.2 s. */
  contextSeconds?: number;
  /** Segments closer than this share a chunk while it stays short enough. Default 1 s. */
  joinGapSeconds?: number;
}

/**
 * Chunks that cover the speech and nothing else: each segment widened by a little context,
 * neighbours closer than `joinGapSeconds` joined while the chunk stays within the limit, and a
 * stretch longer than the limit split into equal pieces. No speech, no chunks: the model never
 * sees silence, where it would invent words (it must emit at least one token).
 */
export function planSpeechChunks(
  totalFrames: number,
  fps: number,
  speech: ReadonlyArray<TimeSpan>,
  options: SpeechChunkOptions = {},
): FrameSpan[] {
  if (totalFrames <= 0) return [];
  const maxFrames = Math.max(1, Math.floor((options.maxChunkSeconds ?? MAX_CHUNK_SECONDS) * fps));
  const context = Math.round((options.contextSeconds ?? 0.2) * fps);
  const joinGap = Math.round((options.joinGapSeconds ?? 1) * fps);
  const spans = mergedFrameSpans(speech, fps, totalFrames, context);
  const chunks: FrameSpan[] = [];
  let open: FrameSpan | null = null;
  for (const span of spans) {
    if (open && span.startFrame - open.endFrame <= joinGap && span.endFrame - open.startFrame <= maxFrames) {
      open.endFrame = span.endFrame;
      continue;
    }
    if (open) chunks.push(open);
    if (span.endFrame - span.startFrame <= maxFrames) {
      open = { ...span };
      continue;
    }
    chunks.push(...evenPieces(span, maxFrames));
    open = null;
  }
  if (open) chunks.push(open);
  return chunks;
}

/** The whole timeline as speech: for a video without an audio track, where nothing says where speech is. */
export function planWholeTimeline(totalFrames: number, fps: number, options: SpeechChunkOptions = {}): FrameSpan[] {
  return planSpeechChunks(totalFrames, fps, [{ start: 0, end: totalFrames / fps }], { ...options, contextSeconds: 0 });
}

/** Segments as sorted, non-overlapping frame spans within [0, totalFrames), widened by `context`. */
function mergedFrameSpans(
  speech: ReadonlyArray<TimeSpan>,
  fps: number,
  totalFrames: number,
  context: number,
): FrameSpan[] {
  const spans = speech
    .filter((segment) => Number.isFinite(segment.start) && Number.isFinite(segment.end) && segment.end > segment.start)
    .map((segment) => ({
      startFrame: Math.max(0, Math.floor(segment.start * fps) - context),
      endFrame: Math.min(totalFrames, Math.ceil(segment.end * fps) + context),
    }))
    .filter((span) => span.endFrame > span.startFrame)
    .sort((a, b) => a.startFrame - b.startFrame);
  const merged: FrameSpan[] = [];
  for (const span of spans) {
    const last = merged.at(-1);
    if (last && span.startFrame <= last.endFrame) last.endFrame = Math.max(last.endFrame, span.endFrame);
    else merged.push({ ...span });
  }
  return merged;
}

/** [start, end) in the fewest equal pieces of at most maxFrames. */
function evenPieces(span: FrameSpan, maxFrames: number): FrameSpan[] {
  const length = span.endFrame - span.startFrame;
  const pieces = Math.ceil(length / maxFrames);
  const bounds = Array.from({ length: pieces + 1 }, (_, i) => span.startFrame + Math.round((length * i) / pieces));
  return bounds.slice(1).map((endFrame, i) => ({ startFrame: bounds[i] ?? span.startFrame, endFrame }));
}
