/**
 * How fast extract converts a 1080p upload, with the static ffmpeg the Lambda zip carries:
 * video.mp4 downscaled to 720p (what extract does) against the same encode at the source's
 * resolution (what it did). ffmpeg's own -benchmark reports the CPU time it used, which a busy
 * machine hardly changes; the Lambda estimate divides the 1.7 vCPU of a 3008 MB function by it.
 * The result sizes extract's time budget (README, "Extract's time budget").
 * `tsx bench/extract-encode.ts` runs it alone.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DOWNSCALE_FILTER, VIDEO_FPS } from '../functions/lib/adapters/ffmpeg-media-toolkit';
import { REPO_ROOT } from '../scripts/build/functions';
import { median } from './stats';

const FFMPEG = path.join(REPO_ROOT, 'node_modules', '@ffmpeg-installer', 'linux-x64', 'ffmpeg');
const SOURCE_SECONDS = 10;
const RUNS = 3;
/** extract's FFMPEG_TIMEOUT_SECONDS in terraform/pipeline.tf: the function's 900 s less 60 s to record a failure. */
const FFMPEG_BUDGET_SECONDS = 840;
/** vCPUs Lambda gives a 3008 MB function. */
const LAMBDA_VCPUS = 1.7;

interface Run {
  wallSeconds: number;
  cpuSeconds: number;
}

export interface EncodeSpeed {
  sourceSeconds: number;
  downscaled: Run[];
  sourceResolution: Run[];
  cores: number;
  loadAverage: number;
}

/** transcodeVideo's arguments, with the scale filter given: ffmpeg prints its CPU time at the end. */
function encode(source: string, output: string, scale: string): Run {
  const started = performance.now();
  const { stderr, status } = spawnSync(
    FFMPEG,
    [
      ...[
        '-nostdin',
        '-benchmark',
        '-hide_banner',
        '-nostats',
        '-v',
        'info',
        '-y',
        '-i',
        source,
        '-map',
        '0:0',
        '-map',
        '0:1',
      ],
      ...['-c:a', 'aac', '-b:a', '128k', '-vf', `${scale},fps=${VIDEO_FPS},format=yuv420p`],
      ...[
        '-c:v',
        'libx264',
        '-preset',
        'veryfast',
        '-crf',
        '23',
        '-pix_fmt',
        'yuv420p',
        '-movflags',
        '+faststart',
        output,
      ],
    ],
    { encoding: 'utf8' },
  );
  if (status !== 0) throw new Error(`ffmpeg failed: ${stderr.slice(-500)}`);
  const wallSeconds = (performance.now() - started) / 1000;
  const bench = /utime=([\d.]+)s stime=([\d.]+)s/.exec(stderr);
  return { wallSeconds, cpuSeconds: bench ? Number(bench[1]) + Number(bench[2]) : Number.NaN };
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
    const loadAverage = os.loadavg()[0] ?? 0;
    const downscaled: Run[] = [];
    const sourceResolution: Run[] = [];
    for (let run = 0; run < RUNS; run++) {
      downscaled.push(encode(source, path.join(scratch, 'video.mp4'), DOWNSCALE_FILTER));
      sourceResolution.push(encode(source, path.join(scratch, 'video-1080p.mp4'), 'scale=trunc(iw/2)*2:trunc(ih/2)*2'));
    }
    return { sourceSeconds: SOURCE_SECONDS, downscaled, sourceResolution, cores: os.cpus().length, loadAverage };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export function printEncodeSpeed(speed: EncodeSpeed): void {
  const cpu = (runs: Run[]) => median(runs.map((run) => run.cpuSeconds));
  const wall = (runs: Run[]) => median(runs.map((run) => run.wallSeconds));
  const perVideoSecond = cpu(speed.downscaled) / speed.sourceSeconds;
  const lambdaRealtime = LAMBDA_VCPUS / perVideoSecond;
  console.log(
    `\nExtract: a ${speed.sourceSeconds} s 1080p30 upload to video.mp4 (median of ${RUNS}; ${speed.cores} cores, load ${speed.loadAverage.toFixed(1)})`,
  );
  for (const [label, runs] of [
    ['downscaled to 720p   ', speed.downscaled],
    ["at the source's 1080p", speed.sourceResolution],
  ] as const) {
    console.log(
      `  ${label}  CPU ${cpu(runs).toFixed(1)} s (${(cpu(runs) / speed.sourceSeconds).toFixed(2)} CPU-s per video second), wall ${wall(runs).toFixed(1)} s`,
    );
  }
  console.log(
    `  ratio 720p / 1080p      ${(cpu(speed.downscaled) / cpu(speed.sourceResolution)).toFixed(2)} of the CPU time`,
  );
  console.log(
    `  budget: on ${LAMBDA_VCPUS} vCPU that is ~${lambdaRealtime.toFixed(2)}x real time, so ${FFMPEG_BUDGET_SECONDS} s of ffmpeg ` +
      `converts about ${Math.floor((FFMPEG_BUDGET_SECONDS * lambdaRealtime) / 60)} minutes of 1080p video`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) printEncodeSpeed(await measureEncodeSpeed());
