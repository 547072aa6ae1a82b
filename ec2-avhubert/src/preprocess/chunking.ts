export interface TimeSpan {
  start: number;
  end: number;
}

/** A chunk as frame indices: [startFrame, endFrame). */
export interface FrameSpan {
  startFrame: number;
  endFrame: number;
}

/**
 * Splits totalFrames into chunks of at most maxFrames. With speech segments, cuts go in the
 * middle of the gaps between them (the latest gap that keeps a chunk short enough), so no
 * word is cut; a stretch of speech longer than maxFrames with no gap is split evenly. With
 * none, the video is split into equal chunks.
 */
export function planChunks(
  totalFrames: number,
  fps: number,
  maxChunkSeconds: number,
  speechSegments: ReadonlyArray<TimeSpan> = [],
): FrameSpan[] {
  if (totalFrames <= 0) return [];
  const maxFrames = Math.max(1, Math.floor(maxChunkSeconds * fps));
  const gapCuts = gapMidpoints(speechSegments, fps, totalFrames / fps).filter((cut) => cut > 0 && cut < totalFrames);
  const cuts: number[] = [];
  let start = 0;
  while (totalFrames - start > maxFrames) {
    const latestReachable = gapCuts.filter((cut) => cut > start && cut <= start + maxFrames).at(-1);
    if (latestReachable !== undefined) {
      start = latestReachable;
      cuts.push(start);
      continue;
    }
    const stretchEnd = gapCuts.find((cut) => cut > start + maxFrames) ?? totalFrames;
    cuts.push(...evenCuts(start, stretchEnd, maxFrames));
    start = stretchEnd;
    if (start < totalFrames) cuts.push(start);
  }
  const starts = [0, ...cuts];
  const ends = [...cuts, totalFrames];
  return starts.map((startFrame, i) => ({ startFrame, endFrame: ends[i] ?? totalFrames }));
}

/** Interior cuts splitting [start, end) into the fewest equal pieces of at most maxFrames. */
function evenCuts(start: number, end: number, maxFrames: number): number[] {
  const pieces = Math.ceil((end - start) / maxFrames);
  const cuts: number[] = [];
  for (let i = 1; i < pieces; i++) cuts.push(start + Math.round(((end - start) * i) / pieces));
  return cuts;
}

/** Middles of the silences before, between and after the speech segments, as frames. */
function gapMidpoints(segments: ReadonlyArray<TimeSpan>, fps: number, durationSeconds: number): number[] {
  const sorted = [...segments].filter((s) => s.end > s.start).sort((a, b) => a.start - b.start);
  if (sorted.length === 0) return [];
  const cuts: number[] = [];
  let reach = 0;
  for (const segment of sorted) {
    if (segment.start > reach) cuts.push(Math.round(((reach + segment.start) / 2) * fps));
    reach = Math.max(reach, segment.end);
  }
  if (durationSeconds > reach) cuts.push(Math.round(((reach + durationSeconds) / 2) * fps));
  return [...new Set(cuts)].sort((a, b) => a - b);
}
