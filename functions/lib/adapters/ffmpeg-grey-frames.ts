import { spawn } from 'node:child_process';
import { MODEL_FPS } from '../active-speaker/active-speaker-model';
import type { GreyFrame } from '../active-speaker/face-crop';
import type { FrameRange, GreyFrameSource } from '../active-speaker/frame-source';
import { ConfigurationError } from '../errors';
import { inputGuardArgs, mediaToolEnvironment } from '../media/media-guard';
import { MediaToolError } from '../media/media-toolkit';
import { summariseStderr } from './ffmpeg-media-toolkit';

export interface FfmpegGreyFramesOptions {
  ffmpegPath: string;
  /** The 25 fps CFR MP4 that extract wrote. */
  videoPath: string;
  width: number;
  height: number;
  /** Milliseconds one ffmpeg run may take; read before each run. */
  timeoutMs: () => number;
}

const STDERR_TAIL_BYTES = 8 * 1024;
/** extract's video.mp4 is opened as MP4 and nothing else. */
const EXTRACTED_VIDEO_DEMUXER = 'mov';

/**
 * Decodes extract's video.mp4 with the static ffmpeg into grey frames (its luma), scaled to
 * one size. Each range is one run that seeks to its first frame, so stretches without speech
 * are never decoded. ffmpeg runs with media-guard.ts's input guard and bare environment (no
 * credentials), reads only a local MP4 file, and is killed at its time limit.
 */
export class FfmpegGreyFrames implements GreyFrameSource {
  readonly width: number;
  readonly height: number;

  constructor(private readonly options: FfmpegGreyFramesOptions) {
    this.width = options.width;
    this.height = options.height;
  }

  async *frames(ranges: readonly FrameRange[]): AsyncIterable<{ index: number; frame: GreyFrame }> {
    for (const range of ranges) {
      if (range.to <= range.from) continue;
      let index = range.from;
      for await (const pixels of this.decode(range)) {
        yield { index, frame: { width: this.width, height: this.height, pixels } };
        index++;
      }
    }
  }

  private async *decode(range: FrameRange): AsyncGenerator<Uint8Array> {
    const { ffmpegPath, videoPath, width, height } = this.options;
    const frameBytes = width * height;
    const timeoutMs = Math.max(1_000, this.options.timeoutMs());
    // Half a frame early, so the first frame out is `from` whatever the rounding of timestamps.
    const seekSec = Math.max(0, (range.from - 0.5) / MODEL_FPS);
    const child = spawn(
      ffmpegPath,
      [
        ...['-nostdin', '-v', 'error', '-ss', seekSec.toFixed(3), ...inputGuardArgs(EXTRACTED_VIDEO_DEMUXER)],
        ...['-i', videoPath, '-map', '0:v:0', '-an', '-sn', '-dn'],
        ...['-frames:v', String(range.to - range.from), '-vf', `scale=${width}:${height}:flags=bilinear`],
        ...['-pix_fmt', 'gray', '-f', 'rawvideo', 'pipe:1'],
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: mediaToolEnvironment() },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const exit = new Promise<number | null>((resolve, reject) => {
      child.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          error.code === 'ENOENT' || error.code === 'EACCES'
            ? new ConfigurationError(`ffmpeg cannot be run from ${ffmpegPath} (${error.code}). Set FFMPEG_PATH.`)
            : error,
        ),
      );
      child.once('close', (code) => resolve(code));
    });
    exit.catch(() => undefined);

    try {
      let frame = new Uint8Array(frameBytes);
      let filled = 0;
      for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
        let offset = 0;
        while (offset < chunk.length) {
          const take = Math.min(frameBytes - filled, chunk.length - offset);
          frame.set(chunk.subarray(offset, offset + take), filled);
          filled += take;
          offset += take;
          if (filled === frameBytes) {
            yield frame;
            frame = new Uint8Array(frameBytes);
            filled = 0;
          }
        }
      }
      const code = await exit;
      if (timedOut)
        throw new MediaToolError('ffmpeg', `ffmpeg ran for more than ${Math.round(timeoutMs / 1000)} s`, true);
      if (code !== 0) throw new MediaToolError('ffmpeg', summariseStderr(stderr, videoPath) || `exit ${code}`);
    } finally {
      clearTimeout(timer);
      // A consumer that stops early (or fails) must not leave ffmpeg running.
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }
}
