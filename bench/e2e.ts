/**
 * End to end on the local stack: wall time per GRID clip and for a 60 s clip (GRID clips
 * concatenated with ffmpeg), with the real-time factor and the time per stage read from the
 * execution history; then 20 uploads at once, with throughput and a count of lost jobs.
 * Run by `make bench` (bench/run.ts) or alone: `tsx bench/e2e.ts`.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { STAGES, type Stage } from '../functions/lib/contracts/pipeline';
import { REPO_ROOT } from '../scripts/build/functions';
import { parseTranscriptsTsv, type ReferenceClip } from '../scripts/gorggle-cli/evaluate';
import { GorggleClient, isTerminal } from '../scripts/gorggle-cli/gorggle-client';
import { processVideo, type ProcessedVideo } from '../scripts/gorggle-cli/process-video';
import { stageSeconds } from '../scripts/gorggle-cli/stages';
import { targetForStack } from '../scripts/gorggle-cli/target';
import { TEST_MODEL_DIR } from '../scripts/local-stack/avhubert';
import { startLocalStack } from '../scripts/local-stack/stack';
import { median } from './stats';

const GRID_DIR = path.resolve(REPO_ROOT, '..', 'shared', 'fixtures', 'grid');
const LONG_CLIP_SECONDS = 60;
const CONCURRENT_UPLOADS = 20;
const TARGETS = { shortClipSeconds: 15, longClipRtf: 1.0 };
const run = promisify(execFile);

export interface ClipFigures {
  file: string;
  status: string;
  durationSec: number;
  wallSec: number;
  rtf: number;
  stages: Partial<Record<Stage, number>>;
}

export interface EndToEndFigures {
  machine: string;
  clips: ClipFigures[];
  longClip?: ClipFigures;
  burst?: {
    uploads: number;
    terminal: number;
    lost: number;
    statuses: Record<string, number>;
    /** Why jobs FAILED or DEGRADED, with counts. */
    reasons: Record<string, number>;
    wallSec: number;
  };
}

function figuresOf(file: string, processed: ProcessedVideo): ClipFigures {
  const durationSec = processed.result?.metrics.durationSec ?? 0;
  const stages: Partial<Record<Stage, number>> = {};
  for (const stage of processed.snapshot.stages) {
    const seconds = stageSeconds(stage);
    if (seconds !== undefined) stages[stage.stage] = seconds;
  }
  return {
    file,
    status: processed.snapshot.job?.status ?? 'UNKNOWN',
    durationSec,
    wallSec: processed.wallSeconds,
    rtf: durationSec ? processed.wallSeconds / durationSec : Number.NaN,
    stages,
  };
}

/** GRID clips end to end, re-encoded to one H.264/AAC MP4 of `seconds`. */
async function makeLongClip(clips: readonly ReferenceClip[], dir: string, seconds: number) {
  const list = path.join(dir, 'concat.txt');
  const needed = Math.ceil(seconds / 3);
  const chosen = Array.from({ length: needed }, (_, index) => clips[index % clips.length] as ReferenceClip);
  writeFileSync(list, chosen.map((clip) => `file '${path.join(GRID_DIR, clip.file)}'`).join('\n'));
  const out = path.join(dir, `grid-${seconds}s.mp4`);
  await run('ffmpeg', [
    ...['-v', 'error', '-nostdin', '-y', '-f', 'concat', '-safe', '0', '-i', list],
    ...['-t', String(seconds), '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-r', '25'],
    ...['-c:a', 'aac', '-ar', '16000', out],
  ]);
  return { file: out, reference: chosen.map((clip) => clip.reference).join(' ') };
}

export function machineDescription(): string {
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  const load = os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
  return `${os.availableParallelism()} cores (nproc), ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, load average at start ${load}`;
}

export type BenchPart = 'clips' | 'long' | 'burst';
const ALL_PARTS: readonly BenchPart[] = ['clips', 'long', 'burst'];

export async function measureEndToEnd(parts: readonly BenchPart[] = ALL_PARTS): Promise<EndToEndFigures | string> {
  if (!existsSync(path.join(GRID_DIR, 'transcripts.tsv'))) return `no GRID fixtures at ${GRID_DIR}`;
  if (!existsSync(path.join(TEST_MODEL_DIR, 'manifest.json'))) return 'no lip-reading test model: run `make models`';
  const clips = parseTranscriptsTsv(readFileSync(path.join(GRID_DIR, 'transcripts.tsv'), 'utf8'));
  const machine = machineDescription();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'gorggle-bench-e2e-'));
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'gorggle-bench-media-'));
  // The stand-in model keeps the lip-reading branch's server round trip in the figures.
  const stack = await startLocalStack({ ports: 'random', dataDir, lipReadingTestModel: true });
  const client = new GorggleClient(targetForStack(stack));
  try {
    const figures: EndToEndFigures = { machine, clips: [] };
    // One unmeasured run: the first invocation of each function unpacks its zip and starts a worker.
    const warm = clips[0] as ReferenceClip;
    await processVideo(client, path.join(GRID_DIR, warm.file), { reference: warm.reference });

    for (const clip of parts.includes('clips') ? clips : []) {
      const processed = await processVideo(client, path.join(GRID_DIR, clip.file), { reference: clip.reference });
      figures.clips.push(figuresOf(clip.file, processed));
      console.log(`  ${clip.file}: ${processed.snapshot.job?.status} in ${processed.wallSeconds.toFixed(1)} s`);
    }

    if (parts.includes('long')) {
      const long = await makeLongClip(clips, workDir, LONG_CLIP_SECONDS);
      const longRun = await processVideo(client, long.file, { reference: long.reference, timeoutMs: 20 * 60_000 });
      figures.longClip = figuresOf(path.basename(long.file), longRun);
      console.log(
        `  ${path.basename(long.file)}: ${longRun.snapshot.job?.status} in ${longRun.wallSeconds.toFixed(1)} s`,
      );
    }
    if (!parts.includes('burst')) return figures;

    const started = performance.now();
    const uploads = await Promise.all(
      Array.from({ length: CONCURRENT_UPLOADS }, (_, index) => {
        const clip = clips[index % clips.length] as ReferenceClip;
        return client.upload(path.join(GRID_DIR, clip.file), {
          key: `uploads/burst-${Date.now()}/${index}-${clip.file}`,
          reference: clip.reference,
        });
      }),
    );
    const outcomes = await Promise.allSettled(
      uploads.map((upload) => client.waitForJob(upload.jobId, { timeoutMs: 20 * 60_000, pollMs: 2000 })),
    );
    const wallSec = (performance.now() - started) / 1000;
    const statuses: Record<string, number> = {};
    const reasons: Record<string, number> = {};
    const count = (tally: Record<string, number>, key: string) => (tally[key] = (tally[key] ?? 0) + 1);
    let terminal = 0;
    for (const outcome of outcomes) {
      const job = outcome.status === 'fulfilled' ? outcome.value.job : undefined;
      count(statuses, outcome.status === 'fulfilled' ? (job?.status ?? 'NO JOB') : 'WAIT FAILED');
      if (job && isTerminal(job.status)) terminal += 1;
      if (job?.error) count(reasons, `${job.error.name}: ${job.error.message.slice(0, 160)}`);
      for (const reason of job?.summary?.degradedReasons ?? []) count(reasons, reason.slice(0, 160));
    }
    figures.burst = { uploads: uploads.length, terminal, lost: uploads.length - terminal, statuses, reasons, wallSec };
    return figures;
  } finally {
    client.close();
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(workDir, { recursive: true, force: true });
  }
}

const stageColumns = (stages: Partial<Record<Stage, number>>) =>
  STAGES.map((stage) => (stages[stage] === undefined ? '-' : stages[stage].toFixed(1)).padStart(11)).join('');

export function printEndToEnd(figures: EndToEndFigures | string): void {
  console.log('\nEnd to end on the local stack (wall time from upload to terminal job; stage times from the history)');
  if (typeof figures === 'string') {
    console.log(`  skipped: ${figures}`);
    return;
  }
  console.log(`  ${figures.machine}`);
  const header =
    'clip'.padEnd(18) +
    'status'.padEnd(10) +
    'video s'.padStart(8) +
    'wall s'.padStart(8) +
    'RTF'.padStart(7) +
    STAGES.map((stage) => `${stage} s`.padStart(11)).join('');
  console.log(header);
  const row = (clip: ClipFigures) =>
    console.log(
      clip.file.padEnd(18) +
        clip.status.padEnd(10) +
        clip.durationSec.toFixed(1).padStart(8) +
        clip.wallSec.toFixed(1).padStart(8) +
        clip.rtf.toFixed(2).padStart(7) +
        stageColumns(clip.stages),
    );
  figures.clips.forEach(row);
  if (figures.clips.length) {
    const walls = figures.clips.map((clip) => clip.wallSec);
    const medianWall = median(walls);
    const medianStages = Object.fromEntries(
      STAGES.map((stage) => [
        stage,
        median(figures.clips.map((clip) => clip.stages[stage]).filter((value) => value !== undefined)),
      ]),
    );
    console.log(
      'median'.padEnd(28) +
        median(figures.clips.map((clip) => clip.durationSec))
          .toFixed(1)
          .padStart(8) +
        medianWall.toFixed(1).padStart(8) +
        median(figures.clips.map((clip) => clip.rtf))
          .toFixed(2)
          .padStart(7) +
        stageColumns(medianStages),
    );
    console.log(
      `  3 s clip: median ${medianWall.toFixed(1)} s, ${(medianWall / TARGETS.shortClipSeconds).toFixed(2)}x the ${TARGETS.shortClipSeconds} s target`,
    );
  }
  if (figures.longClip) {
    row(figures.longClip);
    console.log(
      `  60 s clip: RTF ${figures.longClip.rtf.toFixed(2)}, ${(figures.longClip.rtf / TARGETS.longClipRtf).toFixed(2)}x the ${TARGETS.longClipRtf.toFixed(1)} target`,
    );
  }
  if (figures.burst) {
    const { uploads, terminal, lost, statuses, reasons, wallSec } = figures.burst;
    console.log(
      `  ${uploads} concurrent uploads: ${terminal} terminal, ${lost} lost, ${JSON.stringify(statuses)} in ${wallSec.toFixed(1)} s ` +
        `= ${((terminal / wallSec) * 60).toFixed(1)} jobs/min`,
    );
    for (const [reason, times] of Object.entries(reasons)) console.log(`    ${times} x ${reason}`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // `tsx bench/e2e.ts burst` measures only the named parts.
  const wanted = process.argv.slice(2).filter((part): part is BenchPart => ALL_PARTS.includes(part as BenchPart));
  printEndToEnd(await measureEndToEnd(wanted.length ? wanted : ALL_PARTS));
}
