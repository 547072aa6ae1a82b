/**
 * The media tools extract needs (ffprobe and ffmpeg in production). Domain code takes
 * this port so its decisions can be tested without spawning processes.
 */
export interface MediaToolkit {
  /** The text ffprobe prints for -show_streams -show_format -of json. */
  probe(inputPath: string): Promise<string>;
  /** One audio stream as 16 kHz mono signed 16-bit PCM WAV; `demuxer` is the container the probe found. */
  extractAudio(inputPath: string, outputPath: string, audioStreamIndex: number, demuxer: string): Promise<void>;
  /** One video stream (and audio, when given) as 25 fps CFR H.264 yuv420p MP4 with even dimensions. */
  transcodeVideo(
    inputPath: string,
    outputPath: string,
    streams: { video: number; audio?: number },
    demuxer: string,
  ): Promise<void>;
  /** One JPEG frame taken `atSec` into the input. */
  capturePoster(inputPath: string, outputPath: string, atSec: number): Promise<void>;
}

/** A media tool ran and failed: it exited non-zero, was killed at its time limit, or wrote nothing. */
export class MediaToolError extends Error {
  override readonly name = 'MediaToolError';

  constructor(
    readonly tool: string,
    /** The tool's own last words (stderr), for the user-facing message. */
    readonly detail: string,
    readonly timedOut = false,
  ) {
    super(`${tool} failed: ${detail}`);
  }
}
