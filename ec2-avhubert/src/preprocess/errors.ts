/** Why a video could not be turned into lip-reading input. */
export type PreprocessFailureReason = 'corrupt_video' | 'no_frames' | 'no_face';

/**
 * A video that cannot be preprocessed. The server maps `no_face` to an empty result
 * (nothing to lip-read is not a crash) and the other reasons to a failed job.
 */
export class PreprocessError extends Error {
  override readonly name = 'PreprocessError';

  constructor(
    readonly reason: PreprocessFailureReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
