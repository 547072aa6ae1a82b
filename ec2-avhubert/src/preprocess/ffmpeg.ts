import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { acceptedContainerOf, inputGuardArgs, mediaToolEnvironment } from '../../../functions/lib/media/media-guard';
import { PreprocessError } from './errors';
import type { RgbFrame } from './roi';

export interface MediaTools {
  ffmpegPath: string;
  ffprobePath: string;
}

/** How long a run may take before it is killed, and the job's signal that kills it sooner. */
export interface MediaRunLimits {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export const PROBE_TIMEOUT_MS = 60_000;
/** Decoding follows its consumer (landmarks, the model); the job's own timeout is shorter. */
export const DECODE_TIMEOUT_MS = 60 * 60_000;

/**
 * The static build (scripts/setup/build-ffmpeg.sh): FFMPEG_PATH/FFPROBE_PATH, else beside the
 * server bundle (ec2-avhubert/dist), else the repository's .gorggle/ffmpeg, else the PATH.
 */
export function defaultMediaTools(env: NodeJS.ProcessEnv = process.env): MediaTools {
  const candidates = [import.meta.dirname, path.resolve(import.meta.dirname, '..', '..', '..', '.gorggle', 'ffmpeg')];
  const dir = candidates.find((candidate) => existsSync(path.join(candidate, 'ffmpeg')));
  const find = (name: string) => (dir ? path.join(dir, name) : name);
  return { ffmpegPath: env.FFMPEG_PATH || find('ffmpeg'), ffprobePath: env.FFPROBE_PATH || find('ffprobe') };
}

export interface MediaProbe {
  /** The accepted container's demuxer (media-guard.ts), which every later run is held to. */
  demuxer: string;
  hasVideo: boolean;
  hasAudio: boolean;
  /** Seconds; 0 when the container does not say. */
  durationSec: number;
  /** Displayed size: rotation and non-square pixels applied. */
  width: number;
  height: number;
}

interface ProbeStream {
  codec_type?: string;
  width?: number;
  height?: number;
  duration?: string;
  sample_aspect_ratio?: string;
  disposition?: { attached_pic?: number };
  tags?: { rotate?: string };
  side_data_list?: Array<{ rotation?: number }>;
}

/** What ffprobe says about a file; an unreadable file, or one of a container we do not take, is a `corrupt_video`. */
export async function probeMedia(
  filePath: string,
  tools: MediaTools,
  limits: MediaRunLimits = {},
): Promise<MediaProbe> {
  const { code, stdout, stderr } = await runToEnd(
    tools.ffprobePath,
    ['-v', 'error', ...inputGuardArgs(), '-print_format', 'json', '-show_streams', '-show_format', '-i', filePath],
    { timeoutMs: PROBE_TIMEOUT_MS, ...limits },
  );
  let parsed: { streams?: ProbeStream[]; format?: { duration?: string; format_name?: string } };
  try {
    parsed = code === 0 ? JSON.parse(stdout.toString('utf8')) : {};
  } catch {
    parsed = {};
  }
  if (code !== 0 || !parsed.format) {
    throw new PreprocessError(
      'corrupt_video',
      `The video could not be read (${firstLine(stderr) || 'ffprobe found no media'}). Upload a playable video file (for example MP4 with H.264).`,
    );
  }
  const container = acceptedContainerOf(parsed.format.format_name);
  if (!container) {
    throw new PreprocessError(
      'corrupt_video',
      `The file holds '${parsed.format.format_name ?? 'unknown'}' data, not a container we take. Upload an MP4, MOV, MKV or WebM video.`,
    );
  }
  const demuxer = container.demuxer;
  const streams = parsed.streams ?? [];
  const video = streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  const hasAudio = streams.some((s) => s.codec_type === 'audio');
  const durationSec = Number(parsed.format.duration ?? video?.duration ?? 0) || 0;
  if (!video?.width || !video.height) return { demuxer, hasVideo: false, hasAudio, durationSec, width: 0, height: 0 };

  const [sarNum, sarDen] = (video.sample_aspect_ratio ?? '1:1').split(':').map(Number);
  const pixelAspect = sarNum && sarDen ? sarNum / sarDen : 1;
  let width = Math.round(video.width * pixelAspect);
  let height = video.height;
  const rotation = Number(
    video.side_data_list?.find((d) => d.rotation !== undefined)?.rotation ?? video.tags?.rotate ?? 0,
  );
  if (Math.abs(rotation) % 180 === 90) [width, height] = [height, width];
  return { demuxer, hasVideo: true, hasAudio, durationSec, width, height };
}

/** The decode size: the displayed size, scaled down to at most maxHeight lines, even. */
export function decodeSize(
  probe: Pick<MediaProbe, 'width' | 'height'>,
  maxHeight: number,
): { width: number; height: number } {
  const scale = Math.min(1, maxHeight / probe.height);
  const even = (v: number) => Math.max(2, 2 * Math.round(v / 2));
  return { width: even(probe.width * scale), height: even(probe.height * scale) };
}

/** Decoded frames ffmpeg may run ahead of the consumer by, as bytes (and at most 32 frames). */
const READ_AHEAD_BYTES = 48 * 1024 * 1024;
const MAX_READ_AHEAD_FRAMES = 32;

/**
 * Decodes the first video stream at `fps` constant frame rate as RGB frames, one at a time:
 * ffmpeg writes raw frames to a pipe, and up to READ_AHEAD_BYTES of them are taken off it
 * while the consumer is busy, so ffmpeg decodes on another core meanwhile instead of
 * waiting on a full pipe. Beyond that, backpressure pauses it.
 */
export async function* decodeVideoFrames(
  filePath: string,
  size: { width: number; height: number },
  fps: number,
  tools: MediaTools,
  limits: MediaRunLimits & { demuxer?: string } = {},
): AsyncGenerator<RgbFrame> {
  const frameBytes = size.width * size.height * 3;
  const readAhead = Math.max(2, Math.min(MAX_READ_AHEAD_FRAMES, Math.floor(READ_AHEAD_BYTES / frameBytes)));
  const run = spawnMediaTool(
    tools.ffmpegPath,
    [
      ...['-v', 'error', '-nostdin', ...inputGuardArgs(limits.demuxer), '-i', filePath, '-map', '0:v:0', '-an', '-sn'],
      ...['-vf', `fps=${fps},scale=${size.width}:${size.height}:flags=bilinear,setsar=1`],
      ...['-pix_fmt', 'rgb24', '-f', 'rawvideo', 'pipe:1'],
    ],
    { timeoutMs: DECODE_TIMEOUT_MS, ...limits },
  );
  const { child } = run;
  const exit = run.exit;
  // Awaited below unless the consumer stops early; never left as an unhandled rejection.
  exit.catch(() => undefined);
  const stdout = child.stdout as NodeJS.ReadableStream;
  const ready: Uint8Array[] = [];
  let frame = new Uint8Array(frameBytes);
  let filled = 0;
  let ended = false;
  let wake: (() => void) | null = null;
  const wakeConsumer = () => {
    wake?.();
    wake = null;
  };
  stdout.on('data', (chunk: Buffer) => {
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(frameBytes - filled, chunk.length - offset);
      frame.set(chunk.subarray(offset, offset + take), filled);
      filled += take;
      offset += take;
      if (filled === frameBytes) {
        ready.push(frame);
        frame = new Uint8Array(frameBytes);
        filled = 0;
      }
    }
    if (ready.length >= readAhead) stdout.pause();
    wakeConsumer();
  });
  stdout.once('end', () => {
    ended = true;
    wakeConsumer();
  });
  stdout.once('error', () => {
    ended = true;
    wakeConsumer();
  });
  let completed = false;
  try {
    for (;;) {
      const next = ready.shift();
      if (next) {
        if (ready.length < readAhead && stdout.isPaused()) stdout.resume();
        yield { width: size.width, height: size.height, data: next };
        continue;
      }
      if (ended) break;
      await new Promise<void>((resolve) => (wake = resolve));
    }
    const { code, stderr } = await exit;
    run.throwIfStopped();
    if (code !== 0) {
      throw new PreprocessError(
        'corrupt_video',
        `The video stream could not be decoded (${firstLine(stderr) || `ffmpeg exited with ${code}`}). Re-encode or re-upload the file.`,
      );
    }
    completed = true;
  } finally {
    if (!completed && child.exitCode === null) child.kill('SIGKILL');
  }
}

/** Decodes the first audio stream as 16 kHz mono int16, handing over each piece as it comes. */
export async function decodeAudio(
  filePath: string,
  sampleRate: number,
  tools: MediaTools,
  onSamples: (samples: Int16Array) => void,
  limits: MediaRunLimits & { demuxer?: string } = {},
): Promise<void> {
  const run = spawnMediaTool(
    tools.ffmpegPath,
    [
      ...['-v', 'error', '-nostdin', ...inputGuardArgs(limits.demuxer), '-i', filePath, '-map', '0:a:0', '-vn', '-sn'],
      // Raw PCM through the raw muxer: the static build has no separate s16le muxer.
      ...['-ac', '1', '-ar', String(sampleRate), '-c:a', 'pcm_s16le', '-f', 'rawvideo', 'pipe:1'],
    ],
    { timeoutMs: DECODE_TIMEOUT_MS, ...limits },
  );
  const { child, exit } = run;
  let carry: Buffer | null = null;
  for await (const piece of child.stdout as AsyncIterable<Buffer>) {
    const bytes: Buffer = carry ? Buffer.concat([carry, piece]) : piece;
    const usable = bytes.length - (bytes.length % 2);
    carry = usable < bytes.length ? Buffer.from(bytes.subarray(usable)) : null;
    // Copy: the pipe's Buffer may sit at an odd offset in its pool.
    const aligned = new Uint8Array(usable);
    aligned.set(bytes.subarray(0, usable));
    onSamples(new Int16Array(aligned.buffer));
  }
  const { code, stderr } = await exit;
  run.throwIfStopped();
  if (code !== 0) {
    throw new PreprocessError(
      'corrupt_video',
      `The audio stream could not be decoded (${firstLine(stderr) || `ffmpeg exited with ${code}`}). Re-encode or re-upload the file.`,
    );
  }
}

interface MediaToolRun {
  child: ChildProcess;
  exit: Promise<{ code: number; stderr: string }>;
  /** Throws when the time limit or the caller's signal killed the tool. */
  throwIfStopped(): void;
}

/**
 * Starts ffmpeg or ffprobe with the bare environment of media-guard.ts; the time limit or
 * the caller's signal (a job stopped or timed out) kills it with SIGKILL.
 */
function spawnMediaTool(command: string, args: string[], limits: MediaRunLimits): MediaToolRun {
  const timeoutMs = limits.timeoutMs ?? DECODE_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = limits.signal ? AbortSignal.any([limits.signal, timeout]) : timeout;
  const child = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: mediaToolEnvironment(),
    signal,
    killSignal: 'SIGKILL',
  });
  const tool = path.basename(command);
  return {
    child,
    exit: exitOf(child),
    throwIfStopped() {
      if (limits.signal?.aborted) {
        throw limits.signal.reason instanceof Error ? limits.signal.reason : new Error(`${tool} was stopped`);
      }
      if (timeout.aborted) {
        throw new PreprocessError(
          'corrupt_video',
          `${tool} ran for more than ${Math.round(timeoutMs / 1000)} s on this file and was stopped. Re-encode the video, or upload a shorter one.`,
        );
      }
    },
  };
}

function exitOf(child: ChildProcess): Promise<{ code: number; stderr: string }> {
  const errors: Buffer[] = [];
  child.stderr?.on('data', (data: Buffer) => {
    if (errors.length < 64) errors.push(data);
  });
  return new Promise((resolve, reject) => {
    child.once('error', (error) => {
      // A kill by signal or time limit: 'close' follows, and the caller says why.
      if (error.name === 'AbortError') return;
      reject(
        new Error(
          `Could not start ${child.spawnfile}: ${error.message}. Run \`make ffmpeg\` or set FFMPEG_PATH/FFPROBE_PATH.`,
        ),
      );
    });
    child.once('close', (code) => resolve({ code: code ?? -1, stderr: Buffer.concat(errors).toString('utf8') }));
  });
}

async function runToEnd(
  command: string,
  args: string[],
  limits: MediaRunLimits,
): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  const run = spawnMediaTool(command, args, limits);
  const out: Buffer[] = [];
  run.child.stdout?.on('data', (data: Buffer) => out.push(data));
  const { code, stderr } = await run.exit;
  run.throwIfStopped();
  return { code, stdout: Buffer.concat(out), stderr };
}

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .find((line) => line.trim().length > 0)
      ?.trim() ?? ''
  );
}
