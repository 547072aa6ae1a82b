/**
 * How fast extract converts a 1080p upload, with the static ffmpeg the Lambda zip carries:
 * video.mp4 downscaled to 720p (what extract does) against the same encode at the source's
 * resolution (what it did). The speed sizes extract's time budget (README, "Extract's time
 * budget"). `tsx bench/extract-encode.ts` runs it alone.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { FfmpegMediaToolkit, VIDEO_FPS } from '../functions/lib/adapters/ffmpeg-media-toolkit';
import { REPO_ROOT } from '../scripts/build/functions';
import { median } from './stats';

const FFMPEG = path.join(REPO_ROOT, 'node_modules', '@ffmpeg-installer', 'linux-x64', 'ffmpeg');
const FFPROBE = path.join(REPO_ROOT, 'node_modules', '@ffprobe-installer', 'linux-x64', 'ffprobe');
const SOURCE_SECONDS = 10;
const RUNS = 3;
/** extract's FFMPEG_TIMEOUT_SECONDS in terraform/pipeline.tf: the function's 900 s less 60 s to record a failure. */
const FFMPEG_BUDGET_SECONDS = 840;
/** vCPUs Lambda gives a 3008 MB function, against the cores measured here. */
const LAMBDA_VCPUS = 1.7;

export interface EncodeSpeed {
  sourceSeconds: number;
  downscaledSeconds: number[];
  sourceResolutionSeconds: number[];
  cores: number;
  loadAverage: number;
}

export async function measureEncodeSpeed(): Promise<EncodeSpeed> {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'gorggle-encode-bench-'));
  try {
    // A 1080p30 source with moving detail and grain, which x264 cannot shortcut.
    const source = path.join(scratch, 'source-1080p.mp4');
    execFileSync(FFMPEG, [
      ...['-v', 'error', '-f', 'lavfi', '-i', `testsrc2=size=1920x1080:rate=30:duration=${SOURCE_SECONDS}`],
      ...['-f', 'lavfi', '-i', `sine=frequency=440:duration=${SOURCE_SECONDS}`],
      ...[
        '-vf',
        'noise=alls=12:allf=t+u',
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        '-crf',
        '20',
        '-c:a',
        'aac',
        '-shortest',
        source,
      ],
    ]);
    const toolkit = new FfmpegMediaToolkit({ ffmpegPath: FFMPEG, ffprobePath: FFPROBE, timeoutMs: () => 600_000 });
    const loadAverage = os.loadavg()[0] ?? 0;
    const downscaledSeconds: number[] = [];
    const sourceResolutionSeconds: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      let started = performance.now();
      await toolkit.transcodeVideo(source, path.join(scratch, 'video.mp4'), { video: 0, audio: 1 });
      downscaledSeconds.push((performance.now() - started) / 1000);
      // The same encode as before the downscale: the source's own size.
      started = performance.now();
      execFileSync(FFMPEG, [
        ...['-nostdin', '-v', 'error', '-y', '-i', source, '-map', '0:0', '-map', '0:1', '-c:a', 'aac', '-b:a', '128k'],
        ...['-vf', `fps=${VIDEO_FPS},scale=trunc(iw/2)*2:trunc(ih/2)*2,format=yuv420p`],
        ...['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-pix_fmt', 'yuv420p', '-movflags', '+faststart'],
        path.join(scratch, 'video-1080p.mp4'),
      ]);
      sourceResolutionSeconds.push((performance.now() - started) / 1000);
    }
    return {
      sourceSeconds: SOURCE_SECONDS,
      downscaledSeconds,
      sourceResolutionSeconds,
      cores: os.cpus().length,
      loadAverage,
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export function printEncodeSpeed(speed: EncodeSpeed): void {
  const downscaled = median(speed.downscaledSeconds);
  const full = median(speed.sourceResolutionSeconds);
  const realtime = speed.sourceSeconds / downscaled;
  const lambdaRealtime = (realtime * LAMBDA_VCPUS) / speed.cores;
  console.log(
    `\nExtract: a ${speed.sourceSeconds} s 1080p30 upload to video.mp4 (median of ${RUNS}; ${speed.cores} cores, load ${speed.loadAverage.toFixed(1)})`,
  );
  console.log(`  downscaled to 720p     ${downscaled.toFixed(1)} s  (${realtime.toFixed(2)}x real time)`);
  console.log(`  at the source's 1080p  ${full.toFixed(1)} s  (${(speed.sourceSeconds / full).toFixed(2)}x real time)`);
  console.log(`  ratio 720p / 1080p     ${(downscaled / full).toFixed(2)}`);
  console.log(
    `  budget: ${FFMPEG_BUDGET_SECONDS} s of ffmpeg at ~${lambdaRealtime.toFixed(2)}x real time on ${LAMBDA_VCPUS} vCPU ` +
      `converts about ${Math.floor((FFMPEG_BUDGET_SECONDS * lambdaRealtime) / 60)} minutes of 1080p video`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) printEncodeSpeed(await measureEncodeSpeed());
