import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { ConfigurationError } from '../errors';
import { inputGuardArgs, mediaToolEnvironment } from '../media/media-guard';
import { MediaToolError, type MediaToolkit } from '../media/media-toolkit';

export interface FfmpegMediaToolkitOptions {
  ffmpegPath: string;
  ffprobePath: string;
  /** Milliseconds one command may run before it is killed; read before each command. */
  timeoutMs: () => number;
  /** Every output stops after this many seconds (`-t`): the duration cap's second line. */
  maxOutputSeconds: number;
}

/** Output frame rate of video.mp4: what lip reading (AV-HuBERT) expects. */
export const VIDEO_FPS = 25;
export const AUDIO_SAMPLE_RATE = 16_000;
/**
 * The short side of video.mp4 is at most this (720p): faces and lips need no more, and a
 * 1080p or 4K source then costs a fraction of the encode time (README: extract's time budget).
 */
export const MAX_VIDEO_SHORT_SIDE = 720;

/**
 * Downscales so the short side is at most MAX_VIDEO_SHORT_SIDE, keeping the aspect ratio and
 * even dimensions (x264 needs them for yuv420p); smaller videos keep their size.
 */
export const DOWNSCALE_FILTER =
  `scale=w='if(gte(iw,ih),-2,min(${MAX_VIDEO_SHORT_SIDE},trunc(iw/2)*2))'` +
  `:h='if(gte(iw,ih),min(${MAX_VIDEO_SHORT_SIDE},trunc(ih/2)*2),-2)'`;

/** Enough stderr to explain a failure without holding a chatty decoder's whole log. */
const STDERR_TAIL_BYTES = 8 * 1024;

/** Our own video.mp4, which the poster is taken from. */
const OUTPUT_DEMUXER = 'mov';

/**
 * Runs the static ffmpeg and ffprobe binaries, each under a time limit, with the input guard
 * and the bare environment of media-guard.ts.
 */
export class FfmpegMediaToolkit implements MediaToolkit {
  constructor(private readonly options: FfmpegMediaToolkitOptions) {}

  async probe(inputPath: string): Promise<string> {
    return this.run(
      'ffprobe',
      ['-v', 'error', ...inputGuardArgs(), '-show_streams', '-show_format', '-of', 'json', '-i', inputPath],
      inputPath,
    );
  }

  async extractAudio(inputPath: string, outputPath: string, audioStreamIndex: number, demuxer: string): Promise<void> {
    await this.ffmpeg(inputPath, demuxer, outputPath, [
      ['-map', `0:${audioStreamIndex}`, '-vn', '-sn', '-dn'],
      ['-ac', '1', '-ar', String(AUDIO_SAMPLE_RATE), '-c:a', 'pcm_s16le', '-f', 'wav'],
    ]);
  }

  async transcodeVideo(
    inputPath: string,
    outputPath: string,
    streams: { video: number; audio?: number },
    demuxer: string,
  ): Promise<void> {
    await this.ffmpeg(inputPath, demuxer, outputPath, [
      ['-map', `0:${streams.video}`],
      streams.audio === undefined ? ['-an'] : ['-map', `0:${streams.audio}`, '-c:a', 'aac', '-b:a', '128k'],
      // Downscale before anything else, then make the frame rate constant.
      ['-vf', `${DOWNSCALE_FILTER},fps=${VIDEO_FPS},format=yuv420p`],
      ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-pix_fmt', 'yuv420p'],
      ['-sn', '-dn', '-movflags', '+faststart', '-f', 'mp4'],
    ]);
  }

  async capturePoster(inputPath: string, outputPath: string, atSec: number): Promise<void> {
    const noFrame = new MediaToolError('ffmpeg', `no frame at ${atSec} s to use as a poster`);
    await this.run(
      'ffmpeg',
      [
        ...['-nostdin', '-v', 'error', '-y', '-ss', atSec.toFixed(3), ...inputGuardArgs(OUTPUT_DEMUXER)],
        ...['-i', inputPath, '-map', '0:v:0', '-frames:v', '1', '-q:v', '3', '-f', 'image2', outputPath],
      ],
      inputPath,
    ).catch((error: unknown) => {
      // Seeking past the last frame leaves the encoder nothing: ffmpeg 7 fails, older ones wrote nothing.
      const nothing = error instanceof MediaToolError && /Nothing was written into output file/.test(error.detail);
      throw nothing ? noFrame : error;
    });
    const written = await stat(outputPath).catch(() => undefined);
    if (!written?.size) throw noFrame;
  }

  private async ffmpeg(inputPath: string, demuxer: string, outputPath: string, options: string[][]): Promise<void> {
    await this.run(
      'ffmpeg',
      [
        ...['-nostdin', '-v', 'error', '-y', ...inputGuardArgs(demuxer), '-i', inputPath],
        ...options.flat(),
        ...['-t', String(this.options.maxOutputSeconds), outputPath],
      ],
      inputPath,
    );
  }

  private run(tool: 'ffmpeg' | 'ffprobe', args: string[], inputPath: string): Promise<string> {
    const binary = tool === 'ffmpeg' ? this.options.ffmpegPath : this.options.ffprobePath;
    const timeoutMs = Math.max(1_000, this.options.timeoutMs());
    return new Promise((resolve, reject) => {
      const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], env: mediaToolEnvironment() });
      const stdout: Buffer[] = [];
      let stderr = '';
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, timeoutMs);
      child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
      });
      child.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (error.code === 'ENOENT' || error.code === 'EACCES') {
          const key = tool === 'ffmpeg' ? 'FFMPEG_PATH' : 'FFPROBE_PATH';
          reject(new ConfigurationError(`${tool} cannot be run from ${binary} (${error.code}). Set ${key}.`));
        } else {
          reject(error);
        }
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (timedOut) {
          reject(new MediaToolError(tool, `${tool} ran for more than ${Math.round(timeoutMs / 1000)} s`, true));
        } else if (code !== 0) {
          reject(new MediaToolError(tool, summariseStderr(stderr, inputPath) || `exit ${code ?? signal}`));
        } else {
          resolve(Buffer.concat(stdout).toString('utf8'));
        }
      });
    });
  }
}

/**
 * The last two distinct lines ffmpeg printed, without its "[demuxer @ 0x…]" prefixes and
 * our scratch path, e.g. "moov atom not found; Invalid data found when processing input".
 */
export function summariseStderr(stderr: string, inputPath: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((line) =>
      line
        .replaceAll(`${inputPath}: `, '')
        .replaceAll(inputPath, path.basename(inputPath))
        .replace(/^\[[^\]]*@ 0x[0-9a-f]+\]\s*/i, '')
        // ffmpeg 7 wraps the cause in "Error opening input…" lines that add nothing.
        .replace(/^Error opening input(?: files)?:\s*/, '')
        .replace(/^Error opening input file .*$/, '')
        .trim(),
    )
    .filter(Boolean);
  return [...new Set(lines)].slice(-2).join('; ');
}
