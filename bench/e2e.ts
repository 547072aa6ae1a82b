/**
 * End to end on the local stack: wall time per GRID clip and for 60 s and 312 s videos (GRID
 * clips concatenated with ffmpeg), with the real-time factor, the time per stage read from the
 * execution history, the CPU seconds each program used and the stack's peak memory; then 20
 * uploads at once, with throughput and a count of lost jobs.
 * Run by `make bench` (bench/run.ts) or alone: `tsx bench/e2e.ts [clips] [60s] [312s] [burst]`.
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
import { sampleProcessTree, type ProcessUsage } from './process-sampler';
import { median } from './stats';

const GRID_DIR = path.resolve(REPO_ROOT, '..', 'shared', 'fixtures', 'grid');
/** The long videos, and how many times each is run for its median (BENCH_LONG_RUNS overrides). */
const LONG_VIDEOS = [60, 312] as const;
const LONG_RUNS = Math.max(1, Number(process.env.BENCH_LONG_RUNS ?? 3) || 3);
const CONCURRENT_UPLOADS = 20;
/**
 * The stack as `make local` runs it: no lip-reading model, so that branch skips (issue 16's
 * goal is for this). BENCH_LIP_READING=test-model serves the generated test model instead,
 * which keeps the lip-reading server's work (decode, dlib landmarks, crops) in the figures.
 */
const LIP_READING_TEST_MODEL = process.env.BENCH_LIP_READING === 'test-model';
/** BENCH_OLD_STACK=1: a new Lambda environment per invocation and 1 s waits, as before issue 16, to compare. */
const OLD_LOCAL_STACK = process.env.BENCH_OLD_STACK === '1';
/** Issue 16's targets: a 3 s clip in 4 s, real time x 0.5 on the 312 s video, 2 GiB at most. */
const TARGETS = { shortClipSeconds: 4, longRtf: 0.5, peakRssBytes: 2 * 2 ** 30 };
const run = promisify(execFile);

/** The stages as the history shows them, and the active-speaker task inside the faces branch. */
type StageColumn = Stage | 'activeSpeaker';
const STAGE_COLUMNS: readonly StageColumn[] = [...STAGES, 'activeSpeaker'];

export interface ClipFigures {
  file: string;
  status: string;
  durationSec: number;
  wallSec: number;
  rtf: number;
  stages: Partial<Record<StageColumn, number>>;
  usage?: ProcessUsage;
}

export interface LongVideoFigures {
  seconds: number;
  runs: ClipFigures[];
}

export interface EndToEndFigures {
  machine: string;
  clips: ClipFigures[];
  longVideos: LongVideoFigures[];
  burst?: {
    uploads: number;
    terminal: number;
    lost: number;
    statuses: Record<string, number>;
    /** Why jobs FAILED or DEGRADED, with counts. */
    reasons: Record<string, number>;
    wallSec: number;
    usage: ProcessUsage;
  };
}

async function figuresOf(
  client: GorggleClient,
  file: string,
  processed: ProcessedVideo,
  usage?: ProcessUsage,
): Promise<ClipFigures> {
  const durationSec = processed.result?.metrics.durationSec ?? 0;
  const stages: Partial<Record<StageColumn, number>> = {};
  for (const stage of processed.snapshot.stages) {
    const seconds = stageSeconds(stage);
    if (seconds !== undefined) stages[stage.stage] = seconds;
  }
  const arn = processed.snapshot.job?.executionArn;
  if (arn) {
    const events = await client.executionHistory(arn);
    const time = (type: string) =>
      events.find(
        (event) =>
          event.type === type &&
          (event.stateEnteredEventDetails ?? event.stateExitedEventDetails)?.name === 'ActiveSpeaker',
      )?.timestamp;
    const entered = time('TaskStateEntered');
    const exited = time('TaskStateExited');
    if (entered && exited) stages.activeSpeaker = (new Date(exited).getTime() - new Date(entered).getTime()) / 1000;
  }
  return {
    ...(usage ? { usage } : {}),
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

const loadAverage = () =>
  os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');

export function machineDescription(): string {
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  return `${os.availableParallelism()} cores (nproc), ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, load average at start ${loadAverage()}`;
}

export type BenchPart = 'clips' | '60s' | '312s' | 'burst';
const ALL_PARTS: readonly BenchPart[] = ['clips', '60s', '312s', 'burst'];

export async function measureEndToEnd(parts: readonly BenchPart[] = ALL_PARTS): Promise<EndToEndFigures | string> {
  if (!existsSync(path.join(GRID_DIR, 'transcripts.tsv'))) return `no GRID fixtures at ${GRID_DIR}`;
  if (LIP_READING_TEST_MODEL && !existsSync(path.join(TEST_MODEL_DIR, 'manifest.json'))) {
    return 'no lip-reading test model: run `make models`';
  }
  const clips = parseTranscriptsTsv(readFileSync(path.join(GRID_DIR, 'transcripts.tsv'), 'utf8'));
  const machine = machineDescription();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'gorggle-bench-e2e-'));
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'gorggle-bench-media-'));
  const stack = await startLocalStack({
    ports: 'random',
    dataDir,
    lipReadingTestModel: LIP_READING_TEST_MODEL,
    ...(OLD_LOCAL_STACK ? { lambdaWarmMs: 0, waitMs: 1000, firstWaitMs: 1000 } : {}),
  });
  const client = new GorggleClient(targetForStack(stack));
  try {
    const figures: EndToEndFigures = { machine, clips: [], longVideos: [] };
    // One unmeasured run: the first invocation of each function unpacks its zip and starts a worker.
    const warm = clips[0] as ReferenceClip;
    await processVideo(client, path.join(GRID_DIR, warm.file), { reference: warm.reference });

    const measured = async (file: string, reference: string, timeoutMs?: number) => {
      const sampler = sampleProcessTree();
      const processed = await processVideo(client, file, { reference, ...(timeoutMs ? { timeoutMs } : {}) });
      const run = await figuresOf(client, path.basename(file), processed, sampler.stop());
      console.log(
        `  ${run.file}: ${run.status} in ${run.wallSec.toFixed(1)} s, ${run.usage?.cpuSeconds.toFixed(0)} CPU s (load ${loadAverage()})`,
      );
      return run;
    };

    // BENCH_CLIPS=n measures only the first n clips (a quick look; the figures want all of them).
    const clipCount = Number(process.env.BENCH_CLIPS ?? clips.length) || clips.length;
    for (const clip of parts.includes('clips') ? clips.slice(0, clipCount) : []) {
      figures.clips.push(await measured(path.join(GRID_DIR, clip.file), clip.reference));
    }

    for (const seconds of LONG_VIDEOS.filter((length) => parts.includes(`${length}s` as BenchPart))) {
      const long = await makeLongClip(clips, workDir, seconds);
      const runs: ClipFigures[] = [];
      for (let run = 0; run < LONG_RUNS; run++) runs.push(await measured(long.file, long.reference, 30 * 60_000));
      figures.longVideos.push({ seconds, runs });
    }
    if (!parts.includes('burst')) return figures;

    const started = performance.now();
    const sampler = sampleProcessTree();
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
    const usage = sampler.stop();
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
    figures.burst = {
      uploads: uploads.length,
      terminal,
      lost: uploads.length - terminal,
      statuses,
      reasons,
      wallSec,
      usage,
    };
    return figures;
  } finally {
    client.close();
    await stack.stop();
    // BENCH_KEEP_DATA=1 keeps the stack's logs and objects for a look at where the time went.
    if (process.env.BENCH_KEEP_DATA) console.log(`  the stack's data and logs: ${dataDir}`);
    else rmSync(dataDir, { recursive: true, force: true });
    rmSync(workDir, { recursive: true, force: true });
  }
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

const stageColumns = (stages: Partial<Record<StageColumn, number>>) =>
  STAGE_COLUMNS.map((stage) => (stages[stage] === undefined ? '-' : stages[stage].toFixed(1)).padStart(11)).join('');

/** The stage times of several runs, each stage's median. */
const medianStages = (runs: readonly ClipFigures[]): Partial<Record<StageColumn, number>> =>
  Object.fromEntries(
    STAGE_COLUMNS.flatMap((stage) => {
      const values = runs.map((run) => run.stages[stage]).filter((value) => value !== undefined);
      return values.length ? [[stage, median(values)]] : [];
    }),
  );

/** Median CPU seconds per program over the runs, largest first. */
function cpuBreakdown(runs: readonly ClipFigures[]): string {
  const programs = new Set(runs.flatMap((run) => Object.keys(run.usage?.cpuSecondsByProgram ?? {})));
  return [...programs]
    .map((program) => [program, median(runs.map((run) => run.usage?.cpuSecondsByProgram[program] ?? 0))] as const)
    .filter(([, seconds]) => seconds >= 0.05)
    .sort((a, b) => b[1] - a[1])
    .map(([program, seconds]) => `${program} ${seconds.toFixed(1)}`)
    .join(', ');
}

function printRuns(label: string, runs: readonly ClipFigures[]): void {
  const row = (name: string, clip: Omit<ClipFigures, 'file' | 'status'> & { status?: string }) =>
    console.log(
      name.padEnd(22) +
        (clip.status ?? '').padEnd(10) +
        clip.durationSec.toFixed(1).padStart(8) +
        clip.wallSec.toFixed(1).padStart(8) +
        clip.rtf.toFixed(2).padStart(7) +
        stageColumns(clip.stages) +
        (clip.usage ? clip.usage.cpuSeconds.toFixed(0).padStart(8) + mib(clip.usage.peakRssBytes).padStart(10) : ''),
    );
  for (const run of runs) row(run.file, run);
  const usages = runs.map((run) => run.usage).filter((usage) => usage !== undefined);
  row(`median (${runs.length})`, {
    durationSec: median(runs.map((run) => run.durationSec)),
    wallSec: median(runs.map((run) => run.wallSec)),
    rtf: median(runs.map((run) => run.rtf)),
    stages: medianStages(runs),
    ...(usages.length
      ? {
          usage: {
            cpuSeconds: median(usages.map((usage) => usage.cpuSeconds)),
            peakRssBytes: Math.max(...usages.map((usage) => usage.peakRssBytes)),
            cpuSecondsByProgram: {},
            wallSeconds: 0,
          },
        }
      : {}),
  });
  console.log(`  ${label}: CPU seconds by program (median): ${cpuBreakdown(runs)}`);
}

export function printEndToEnd(figures: EndToEndFigures | string): void {
  console.log(
    '\nEnd to end on the local stack (wall time from upload to terminal job; stage times from the history; ' +
      'CPU: seconds used by the bench process, the stack and every process they started; peak: their summed RSS)',
  );
  if (typeof figures === 'string') {
    console.log(`  skipped: ${figures}`);
    return;
  }
  console.log(`  ${figures.machine}`);
  if (OLD_LOCAL_STACK) console.log('  BENCH_OLD_STACK=1: a new Lambda environment per invocation, 1 s waits');
  console.log(
    `  lip reading: ${LIP_READING_TEST_MODEL ? 'the generated test model (BENCH_LIP_READING=test-model)' : 'no model, skipped as `make local` does (BENCH_LIP_READING=test-model runs the test model)'}`,
  );
  console.log(
    'video'.padEnd(22) +
      'status'.padEnd(10) +
      'video s'.padStart(8) +
      'wall s'.padStart(8) +
      'RTF'.padStart(7) +
      STAGE_COLUMNS.map((stage) => `${stage === 'activeSpeaker' ? '(asd)' : stage} s`.padStart(11)).join('') +
      'CPU s'.padStart(8) +
      'peak'.padStart(10),
  );
  if (figures.clips.length) {
    printRuns('3 s clips', figures.clips);
    const medianWall = median(figures.clips.map((clip) => clip.wallSec));
    console.log(
      `  3 s clip: median ${medianWall.toFixed(1)} s, ${(medianWall / TARGETS.shortClipSeconds).toFixed(2)}x the ${TARGETS.shortClipSeconds} s target`,
    );
  }
  for (const long of figures.longVideos) {
    printRuns(`${long.seconds} s video`, long.runs);
    const rtf = median(long.runs.map((run) => run.rtf));
    const peak = Math.max(...long.runs.map((run) => run.usage?.peakRssBytes ?? 0));
    console.log(
      `  ${long.seconds} s video: median RTF ${rtf.toFixed(2)} (${(rtf / TARGETS.longRtf).toFixed(2)}x the ${TARGETS.longRtf} target), ` +
        `peak memory ${mib(peak)} (${(peak / TARGETS.peakRssBytes).toFixed(2)}x the ${mib(TARGETS.peakRssBytes)} target)`,
    );
  }
  if (figures.burst) {
    const { uploads, terminal, lost, statuses, reasons, wallSec, usage } = figures.burst;
    console.log(
      `  ${uploads} concurrent uploads: ${terminal} terminal, ${lost} lost, ${JSON.stringify(statuses)} in ${wallSec.toFixed(1)} s ` +
        `= ${((terminal / wallSec) * 60).toFixed(1)} jobs/min; ${usage.cpuSeconds.toFixed(0)} CPU s, peak memory ${mib(usage.peakRssBytes)}`,
    );
    for (const [reason, times] of Object.entries(reasons)) console.log(`    ${times} x ${reason}`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // `tsx bench/e2e.ts burst` measures only the named parts.
  const wanted = process.argv.slice(2).filter((part): part is BenchPart => ALL_PARTS.includes(part as BenchPart));
  printEndToEnd(await measureEndToEnd(wanted.length ? wanted : ALL_PARTS));
}
