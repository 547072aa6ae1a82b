import { spawn } from 'node:child_process';
import type { MediaTools } from '../../../ec2-avhubert/src/preprocess/ffmpeg';
import { acceptedContainerOf, inputGuardArgs, mediaToolEnvironment } from '../../../functions/lib/media/media-guard';

export { defaultMediaTools, type MediaTools } from '../../../ec2-avhubert/src/preprocess/ffmpeg';

export interface ProbedStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  sample_aspect_ratio?: string;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  sample_rate?: string;
  channels?: number;
  color_range?: string;
  duration?: string;
  disposition?: { attached_pic?: number };
}

export interface ProbedMedia {
  /** The accepted container's demuxer, which later runs on the file are held to. */
  demuxer: string;
  formatName: string;
  formatLongName: string;
  durationSec: number;
  streams: ProbedStream[];
}

export interface ProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a media tool to its end with the bare environment of media-guard.ts; a timeout or an
 * abort kills it. Never rejects on a non-zero exit.
 */
export function runTool(
  command: string,
  args: string[],
  options: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: options.signal,
      killSignal: 'SIGKILL',
      env: mediaToolEnvironment(),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (data: Buffer) => out.push(data));
    child.stderr.on('data', (data: Buffer) => {
      if (err.length < 256) err.push(data);
    });
    const timeoutMs = options.timeoutMs;
    const timer = timeoutMs
      ? setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`${command} took longer than ${Math.round(timeoutMs / 1000)} s and was stopped`));
        }, timeoutMs)
      : undefined;
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(
        (error as NodeJS.ErrnoException).code === 'ENOENT'
          ? new Error(`${command} is not installed (run scripts/setup/install-debian-packages.sh).`)
          : error,
      );
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}

/** What ffprobe says about a file, or null when it cannot read it as media of a container we take. */
export async function probe(filePath: string, tools: MediaTools, signal?: AbortSignal): Promise<ProbedMedia | null> {
  const { code, stdout } = await runTool(
    tools.ffprobePath,
    ['-v', 'error', ...inputGuardArgs(), '-print_format', 'json', '-show_streams', '-show_format', '-i', filePath],
    { signal, timeoutMs: 60_000 },
  );
  if (code !== 0) return null;
  try {
    const parsed = JSON.parse(stdout) as {
      streams?: ProbedStream[];
      format?: { format_name?: string; format_long_name?: string; duration?: string };
    };
    const container = acceptedContainerOf(parsed.format?.format_name);
    if (!parsed.format || !container) return null;
    return {
      demuxer: container.demuxer,
      formatName: parsed.format.format_name ?? '',
      formatLongName: parsed.format.format_long_name ?? '',
      durationSec: Number(parsed.format.duration ?? 0) || 0,
      streams: parsed.streams ?? [],
    };
  } catch {
    return null;
  }
}

/** Decodes the first audio stream to 16 kHz mono 16-bit wav, what pocketsphinx reads. */
export async function toSpeechWav(
  input: string,
  output: string,
  tools: MediaTools,
  signal?: AbortSignal,
  demuxer?: string,
): Promise<ProcessResult> {
  return runTool(
    tools.ffmpegPath,
    [
      ...['-v', 'error', '-nostdin', '-y', ...inputGuardArgs(demuxer), '-i', input, '-map', '0:a:0', '-vn'],
      ...['-ac', '1', '-ar', '16000', '-c:a', 'pcm_s16le', '-f', 'wav', output],
    ],
    { signal, timeoutMs: 300_000 },
  );
}

/** `30000/1001` -> 29.97; 0 when unknown. */
export function frameRate(ratio: string | undefined): number {
  const [num, den] = (ratio ?? '').split('/').map(Number);
  return num && den ? num / den : 0;
}

export function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((line) => line.trim())
      .find((line) => line.length > 0) ?? ''
  );
}
