import { spawn } from 'node:child_process';
import { PreprocessError } from './errors';
import type { RgbFrame } from './roi';

export interface MediaTools {
  ffmpegPath: string;
  ffprobePath: string;
}

export function defaultMediaTools(env: NodeJS.ProcessEnv = process.env): MediaTools {
  return { ffmpegPath: env.FFMPEG_PATH || 'ffmpeg', ffprobePath: env.FFPROBE_PATH || 'ffprobe' };
}

export interface MediaProbe {
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

/** What ffprobe says about a file; an unreadable file is a `corrupt_video`. */
export async function probeMedia(filePath: string, tools: MediaTools): Promise<MediaProbe> {
  const { code, stdout, stderr } = await runToEnd(tools.ffprobePath, [
    '-v',
    'error',
    '-print_format',
    'json',
    '-show_streams',
    '-show_format',
    filePath,
  ]);
  let parsed: { streams?: ProbeStream[]; format?: { duration?: string } };
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
  const streams = parsed.streams ?? [];
  const video = streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  const hasAudio = streams.some((s) => s.codec_type === 'audio');
  const durationSec = Number(parsed.format.duration ?? video?.duration ?? 0) || 0;
  if (!video?.width || !video.height) return { hasVideo: false, hasAudio, durationSec, width: 0, height: 0 };

  const [sarNum, sarDen] = (video.sample_aspect_ratio ?? '1:1').split(':').map(Number);
  const pixelAspect = sarNum && sarDen ? sarNum / sarDen : 1;
  let width = Math.round(video.width * pixelAspect);
  let height = video.height;
  const rotation = Number(
    video.side_data_list?.find((d) => d.rotation !== undefined)?.rotation ?? video.tags?.rotate ?? 0,
  );
  if (Math.abs(rotation) % 180 === 90) [width, height] = [height, width];
  return { hasVideo: true, hasAudio, durationSec, width, height };
}

/** The decode size: the displayed size, scaled down to at most maxHeight lines, even. */
export function decodeSize(probe: MediaProbe, maxHeight: number): { width: number; height: number } {
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
): AsyncGenerator<RgbFrame> {
  const frameBytes = size.width * size.height * 3;
  const readAhead = Math.max(2, Math.min(MAX_READ_AHEAD_FRAMES, Math.floor(READ_AHEAD_BYTES / frameBytes)));
  const child = spawn(
    tools.ffmpegPath,
    [
      ...['-v', 'error', '-nostdin', '-i', filePath, '-map', '0:v:0', '-an', '-sn'],
      ...['-vf', `fps=${fps},scale=${size.width}:${size.height}:flags=bilinear,setsar=1`],
      ...['-pix_fmt', 'rgb24', '-f', 'rawvideo', 'pipe:1'],
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exit = exitOf(child);
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
): Promise<void> {
  const child = spawn(
    tools.ffmpegPath,
    [
      ...['-v', 'error', '-nostdin', '-i', filePath, '-map', '0:a:0', '-vn', '-sn'],
      ...['-ac', '1', '-ar', String(sampleRate), '-f', 's16le', 'pipe:1'],
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exit = exitOf(child);
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
  if (code !== 0) {
    throw new PreprocessError(
      'corrupt_video',
      `The audio stream could not be decoded (${firstLine(stderr) || `ffmpeg exited with ${code}`}). Re-encode or re-upload the file.`,
    );
  }
}

function exitOf(child: ReturnType<typeof spawn>): Promise<{ code: number; stderr: string }> {
  const errors: Buffer[] = [];
  child.stderr?.on('data', (data: Buffer) => {
    if (errors.length < 64) errors.push(data);
  });
  return new Promise((resolve, reject) => {
    child.once('error', (error) =>
      reject(
        new Error(
          `Could not start ${child.spawnfile}: ${error.message}. Install ffmpeg or set FFMPEG_PATH/FFPROBE_PATH.`,
        ),
      ),
    );
    child.once('close', (code) => resolve({ code: code ?? -1, stderr: Buffer.concat(errors).toString('utf8') }));
  });
}

async function runToEnd(command: string, args: string[]): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  child.stdout?.on('data', (data: Buffer) => out.push(data));
  const { code, stderr } = await exitOf(child);
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
