import type { GreyFrame } from './face-crop';

/** A half-open range of frame indices at 25 fps. */
export interface FrameRange {
  from: number;
  to: number;
}

/** Decodes a 25 fps video to grey frames of one size, any ranges of it, in order. */
export interface GreyFrameSource {
  readonly width: number;
  readonly height: number;
  /** Frames [from, to) of each range, ranges in increasing order; stops early at the video's end. */
  frames(ranges: readonly FrameRange[]): AsyncIterable<{ index: number; frame: GreyFrame }>;
}
