/**
 * `make bench-avhubert`: the lip-reading server on this machine's CPU with the test model.
 *
 * Builds a 60 s video from GRID clips, then for each of RUNS runs measures
 *   - preprocessing frames/s (decode, landmarks, ROI crops, mouth opening),
 *   - inference frames/s (encoder + beam search over every chunk),
 *   - a full job through the HTTP server against in-process s3rver, and the server's own
 *     overhead: wall time minus preprocessing and model time, as a share of the wall time.
 * Prints medians and ratios to the targets, and writes them to bench/RESULTS.md under
 * "Lip-reading server". Not a test: it never fails on speed.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { median } from '../../bench/stats';
import { GRID_DIR, REPO_ROOT, gridClip } from '../../test/support/paths';
import { loadModelPackage } from '../src/model';
import { createObjectStore } from '../src/pipeline/s3';
import { preprocessVideo, preprocessVideoStream } from '../src/preprocess';
import type { JobView } from '../src/server/job-queue';
import { silentLogger } from '../src/server/logger';
import { startService } from '../src/server/service';
import { startLocalS3 } from '../test/support/server-local-s3';
import { concatClips } from '../test/support/server-media';
import { machine, writeResultsSection } from './results';

/** The server requires its shared secret on every request (the bench makes its own). */
const BENCH_SECRET = randomBytes(32).toString('base64url');
const authedFetch = (url: string, init: RequestInit = {}) =>
  fetch(url, {
    ...init,
    headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${BENCH_SECRET}` },
  });

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const VIDEO_SECONDS = 60;
const PREPROCESS_TARGET_FPS = 100;
const OVERHEAD_TARGET_PERCENT = 10;
const MODEL_DIR = process.env.GORGGLE_MODEL_DIR ?? path.join(REPO_ROOT, 'ec2-avhubert', 'models', 'test-model');
const HEADING = '## Lip-reading server';

interface RunFigures {
  /** 1-minute load average just before the run: other work on the machine slows it down. */
  loadAverage: number;
  frames: number;
  preprocessSec: number;
  inferenceSec: number;
  jobWallSec: number;
  jobPreprocessSec: number;
  jobInferenceSec: number;
}

async function main(): Promise<void> {
  if (!existsSync(path.join(MODEL_DIR, 'manifest.json'))) {
    throw new Error(`No model package at ${MODEL_DIR}: run \`make models\` first.`);
  }
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'gorggle-bench-avhubert-'));
  const s3 = await startLocalS3(['bench']);
  const model = await loadModelPackage(MODEL_DIR, { device: 'cpu' });
  try {
    const clips = ['bbaf2n.mpg', 'brbk7n.mpg', 'lbax4n.mpg', 'lbbc2a.mpg', 'lrwp9a.mpg', 'sbia1a.mpg', 'swiz3n.mpg'];
    console.log(`building a ${VIDEO_SECONDS} s video from ${clips.length} GRID clips in ${GRID_DIR}`);
    const video = await concatClips(clips.map(gridClip), VIDEO_SECONDS, path.join(workDir, 'bench-60s.mp4'));

    const client = new S3Client({ endpoint: s3.endpoint, forcePathStyle: true });
    await client.send(
      new PutObjectCommand({ Bucket: 'bench', Key: 'jobs/bench/video.mp4', Body: await readFile(video) }),
    );
    const server = await startService(
      {
        port: 0,
        host: '127.0.0.1',
        modelDir: MODEL_DIR,
        device: 'cpu',
        queueCapacity: 4,
        concurrency: 1,
        jobTimeoutMs: 30 * 60_000,
        jobTimeoutMsPerVideoSecond: 0,
        decodeMemoryBytes: 2 ** 30,
        decodeBatchChunks: 8,
        dtype: 'float32',
        landmarks: 'dlib',
        shutdownGraceMs: 0,
        idleShutdownMs: 0,
        powerOffCommand: 'false',
        tmpDir: workDir,
        logLevel: 'error',
        processedBucket: 'bench',
        secret: { value: BENCH_SECRET },
        allowedHosts: [],
      },
      { model, preprocess: preprocessVideoStream, store: createObjectStore(s3.endpoint), log: silentLogger },
    );

    const runs: RunFigures[] = [];
    for (let run = 1; run <= RUNS; run += 1) {
      const loadAverage = os.loadavg()[0] ?? 0;
      // Preprocessing and the model on their own, outside the server.
      let started = performance.now();
      const preprocessed = await preprocessVideo(video, { fps: 25 });
      const preprocessSec = (performance.now() - started) / 1000;
      started = performance.now();
      for (const chunk of preprocessed.chunks) {
        await model.transcribe({ frames: chunk.frames, video: chunk.video });
      }
      const inferenceSec = (performance.now() - started) / 1000;

      // The same work as one job through HTTP, S3 and the queue; polled every 25 ms.
      started = performance.now();
      const response = await authedFetch(`${server.url}/v1/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ video: { bucket: 'bench', key: 'jobs/bench/video.mp4' }, mode: 'vsr' }),
      });
      const { id } = (await response.json()) as { id: string };
      let job: JobView;
      for (;;) {
        job = (await (await authedFetch(`${server.url}/v1/jobs/${id}`)).json()) as JobView;
        if (job.status === 'succeeded' || job.status === 'failed') break;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      const jobWallSec = (performance.now() - started) / 1000;
      if (job.status !== 'succeeded') throw new Error(`the benchmark job failed: ${JSON.stringify(job.error)}`);

      const figures: RunFigures = {
        loadAverage,
        frames: preprocessed.totalFrames,
        preprocessSec,
        inferenceSec,
        jobWallSec,
        jobPreprocessSec: (job.timings.preprocessMs ?? 0) / 1000,
        // Inference overlaps preprocessing: only the time spent waiting for it adds to the wall time.
        jobInferenceSec: (job.timings.modelWaitMs ?? job.timings.inferenceMs ?? 0) / 1000,
      };
      runs.push(figures);
      console.log(
        `run ${run}: ${figures.frames} frames, preprocess ${preprocessSec.toFixed(2)} s, inference ${inferenceSec.toFixed(2)} s, job ${jobWallSec.toFixed(2)} s`,
      );
    }
    await server.shutdown();
    report(runs);
  } finally {
    model.dispose();
    await s3.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}

function report(runs: RunFigures[]): void {
  const frames = median(runs.map((run) => run.frames));
  const preprocessFps = median(runs.map((run) => run.frames / run.preprocessSec));
  const inferenceFps = median(runs.map((run) => run.frames / run.inferenceSec));
  const jobWall = median(runs.map((run) => run.jobWallSec));
  const rtf = median(runs.map((run) => run.jobWallSec / VIDEO_SECONDS));
  const overheadSec = median(runs.map((run) => run.jobWallSec - run.jobPreprocessSec - run.jobInferenceSec));
  const overheadPercent = median(
    runs.map((run) => (100 * (run.jobWallSec - run.jobPreprocessSec - run.jobInferenceSec)) / run.jobWallSec),
  );
  const verdict = (ok: boolean) => (ok ? 'meets target' : 'MISSES target');
  const rows: Array<[string, string]> = [
    ['video', `${VIDEO_SECONDS} s, ${frames} frames at 25 fps (GRID clips concatenated)`],
    [
      'preprocessing',
      `${preprocessFps.toFixed(1)} frames/s (target >= ${PREPROCESS_TARGET_FPS}: ${(preprocessFps / PREPROCESS_TARGET_FPS).toFixed(2)}x, ${verdict(preprocessFps >= PREPROCESS_TARGET_FPS)})`,
    ],
    ['inference (CPU, test model)', `${inferenceFps.toFixed(1)} frames/s`],
    ['job wall time', `${jobWall.toFixed(2)} s; real-time factor ${rtf.toFixed(3)} (wall / video duration)`],
    ['job wall time per run', runs.map((run) => `${run.jobWallSec.toFixed(2)} s`).join(', ')],
    ['load average before each run', runs.map((run) => run.loadAverage.toFixed(1)).join(', ')],
    [
      'server overhead',
      `${overheadSec.toFixed(2)} s = ${overheadPercent.toFixed(1)}% of wall (target <= ${OVERHEAD_TARGET_PERCENT}%: ${verdict(overheadPercent <= OVERHEAD_TARGET_PERCENT)})`,
    ],
  ];
  console.log(`\nmedians of ${runs.length} runs on ${machine()}`);
  for (const [name, value] of rows) console.log(`${name.padEnd(30)}${value}`);

  const section = [
    HEADING,
    '',
    `Measured by \`make bench-avhubert\` (ec2-avhubert/bench/run.ts) on ${new Date().toISOString().slice(0, 10)}:`,
    `${machine()}; median of ${runs.length} runs. Overhead is the job's wall time (POST to`,
    'succeeded, polled every 25 ms) minus its preprocessing and the time it waited for the model',
    '(which reads chunks while preprocessing goes on): S3 transfer,',
    'queueing, JSON and HTTP. The test model is a tiny stand-in (32-dim, 2 layers): its',
    'inference speed says nothing about AV-HuBERT Large on a T4. A load average above the',
    'core count means other work shared the cores and the figures are pessimistic.',
    '',
    '| measure | result |',
    '| --- | --- |',
    ...rows.map(([name, value]) => `| ${name} | ${value} |`),
    '',
  ].join('\n');
  writeResultsSection(HEADING, section);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
