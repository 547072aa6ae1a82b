/**
 * Preprocessing frames/s on this machine: a 60 s video built from GRID clips, and single
 * 3 s clips. Prints the median and best of RUNS runs, the per-stage timings, the load
 * average before each run (other work on the machine slows it down) and the CPU time per
 * frame of this process and its ffmpeg children (which load does not inflate). Not a test.
 *
 *   tsx ec2-avhubert/bench/preprocess-fps.ts                 # default engine
 *   PREPROCESS_ENGINE=thread tsx ec2-avhubert/bench/...      # landmarks in this thread
 *   PREPROCESS_ENGINE=workers PREPROCESS_WORKERS=2 tsx ...   # landmarks in worker threads
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { median } from '../../bench/stats';
import { gridClip } from '../../test/support/paths';
import {
  disposeDefaultLandmarkEngine,
  preprocessVideo,
  type PreprocessOptions,
  type PreprocessTimings,
} from '../src/preprocess';
import { createFaceApiEngine, type LandmarkEngine } from '../src/preprocess/face-landmarks';
import { createWorkerLandmarkEngine } from '../src/preprocess/landmark-workers';
import { concatClips } from '../test/support/server-media';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CLIPS = ['bbaf2n.mpg', 'brbk7n.mpg', 'lbax4n.mpg', 'lbbc2a.mpg', 'lrwp9a.mpg', 'sbia1a.mpg', 'swiz3n.mpg'];

async function engineFromEnv(): Promise<{ label: string; engine: LandmarkEngine | undefined }> {
  const choice = process.env.PREPROCESS_ENGINE ?? 'default';
  if (choice === 'thread') return { label: 'thread', engine: await createFaceApiEngine() };
  if (choice === 'workers') {
    const workers = Number(process.env.PREPROCESS_WORKERS ?? 2);
    return { label: `workers x${workers}`, engine: await createWorkerLandmarkEngine({ workers }) };
  }
  return { label: 'default', engine: undefined };
}

/** CPU seconds of this process (all threads) and its finished children (Linux, 100 Hz ticks). */
function cpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  // After the command name: field 3 onwards; utime, stime, cutime, cstime are fields 14-17.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields.slice(11, 15).reduce((sum, ticks) => sum + Number(ticks), 0) / 100;
}

interface Run {
  frames: number;
  seconds: number;
  cpuSeconds: number;
  faceFoundRatio: number;
  timings: PreprocessTimings | undefined;
}

async function measure(files: string[], options: PreprocessOptions): Promise<Run> {
  let frames = 0;
  let faces = 0;
  let timings: PreprocessTimings | undefined;
  const cpuStarted = cpuSeconds();
  const started = performance.now();
  for (const file of files) {
    const result = await preprocessVideo(file, options);
    frames += result.totalFrames;
    faces += result.faceFoundFrames;
    timings = result.timings;
  }
  const seconds = (performance.now() - started) / 1000;
  return { frames, seconds, cpuSeconds: cpuSeconds() - cpuStarted, faceFoundRatio: faces / frames, timings };
}

function perFrame(timings: PreprocessTimings | undefined, frames: number): string {
  if (!timings) return '';
  const ms = (v: number) => (v / frames).toFixed(2);
  return `decode wait ${ms(timings.decodeWaitMs)} ms, detect ${ms(timings.detectMs)} ms, landmarks ${ms(timings.landmarkMs)} ms, align ${ms(timings.alignMs)} ms per frame (last file)`;
}

async function series(label: string, files: string[], options: PreprocessOptions): Promise<void> {
  const fps: number[] = [];
  const cpuMs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const [load] = os.loadavg().map((v) => v.toFixed(2));
    const run = await measure(files, options);
    fps.push(run.frames / run.seconds);
    const cpuPerFrame = (1000 * run.cpuSeconds) / run.frames;
    cpuMs.push(cpuPerFrame);
    const lastFrames = files.length > 1 ? run.frames / files.length : run.frames;
    console.log(
      `  ${label} run ${i + 1}: ${run.frames} frames in ${run.seconds.toFixed(2)} s = ${(run.frames / run.seconds).toFixed(1)} frames/s, CPU ${cpuPerFrame.toFixed(1)} ms/frame, faces ${(100 * run.faceFoundRatio).toFixed(1)}%, load ${load}; ${perFrame(run.timings, lastFrames)}`,
    );
  }
  console.log(
    `  ${label}: median ${median(fps).toFixed(1)} frames/s, best ${Math.max(...fps).toFixed(1)} frames/s, CPU median ${median(cpuMs).toFixed(1)} ms/frame`,
  );
}

async function main(): Promise<void> {
  const { label, engine } = await engineFromEnv();
  console.log(`engine ${label}; ${os.availableParallelism()} cores; Node ${process.version}; ${RUNS} runs each`);
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'gorggle-bench-preprocess-'));
  try {
    const video = await concatClips(CLIPS.map(gridClip), 60, path.join(workDir, 'grid-60s.mp4'));
    const options: PreprocessOptions = engine ? { engine } : {};
    // Warm-up: loads the nets (and starts workers) once, as the server does.
    await preprocessVideo(gridClip('bbaf2n.mpg'), options);
    await series('60 s video', [video], options);
    await series(`${CLIPS.length} single clips`, CLIPS.map(gridClip), options);
  } finally {
    await rm(workDir, { recursive: true, force: true });
    await (engine?.dispose?.() ?? disposeDefaultLandmarkEngine());
  }
}

await main();
