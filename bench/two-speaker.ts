/**
 * Two-person videos on the local stack, as a user runs it (no lip-reading model): each pair
 * of GRID clips made into a make-two-speaker-clip.sh video (left speaks 0-3 s, right 3-6 s),
 * once with the listener idle and once with both mouthing (--both-talking: only the sound
 * says who speaks). Prints the end-to-end time and the share of words put on the right
 * face. Run by `make bench` (bench/run.ts) or alone: `tsx bench/two-speaker.ts`.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { facesDocumentSchema } from '../functions/lib/contracts/documents';
import { REPO_ROOT } from '../scripts/build/functions';
import { twoSpeakerAttribution } from '../scripts/eval/two-speaker-attribution';
import { GorggleClient } from '../scripts/gorggle-cli/gorggle-client';
import { processVideo } from '../scripts/gorggle-cli/process-video';
import { targetForStack } from '../scripts/gorggle-cli/target';
import { startLocalStack } from '../scripts/local-stack/stack';
import { machineDescription } from './e2e';
import { median } from './stats';

const GRID_DIR = path.resolve(REPO_ROOT, '..', 'shared', 'fixtures', 'grid');
const TOOL = path.resolve(REPO_ROOT, '..', 'shared', 'tools', 'make-two-speaker-clip.sh');
/** Left and right speaker of each video: every fixture clip once on each side. */
const PAIRS: Array<[string, string]> = [
  ['bbaf2n.mpg', 'lrwp9a.mpg'],
  ['sbia1a.mpg', 'brbk7n.mpg'],
  ['swiz3n.mpg', 'lbbc2a.mpg'],
  ['lbax4n.mpg', 'swwp2s.mpg'],
  ['lrwp9a.mpg', 'sbia1a.mpg'],
  ['brbk7n.mpg', 'bbaf2n.mpg'],
];
const run = promisify(execFile);

export interface TwoSpeakerRun {
  video: string;
  bothTalking: boolean;
  status: string;
  wallSec: number;
  words: number;
  onRightFace: number;
  speakers: number;
  evidence: string;
}

export async function measureTwoSpeakers(): Promise<{ machine: string; runs: TwoSpeakerRun[] } | string> {
  if (!existsSync(TOOL) || !existsSync(GRID_DIR)) return `needs ${TOOL} and ${GRID_DIR}`;
  const machine = machineDescription();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'gorggle-bench-two-'));
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'gorggle-bench-two-media-'));
  const stack = await startLocalStack({ ports: 'random', dataDir });
  const client = new GorggleClient(targetForStack(stack));
  try {
    const runs: TwoSpeakerRun[] = [];
    // One unmeasured run: the first invocation of each function unpacks its zip and starts a worker.
    await processVideo(client, path.join(GRID_DIR, 'bbaf2n.mpg'));
    for (const bothTalking of [false, true]) {
      for (const [left, right] of PAIRS) {
        const video = path.join(
          workDir,
          `${path.parse(left).name}-${path.parse(right).name}${bothTalking ? '-both' : ''}.mp4`,
        );
        await run('bash', [
          TOOL,
          ...(bothTalking ? ['--both-talking'] : []),
          path.join(GRID_DIR, left),
          path.join(GRID_DIR, right),
          video,
        ]);
        const processed = await processVideo(client, video, { timeoutMs: 15 * 60_000 });
        const jobDir = `jobs/${processed.uploaded.jobId}`;
        const result = processed.result;
        const faces = result
          ? facesDocumentSchema.parse(JSON.parse((await client.readProcessed(`${jobDir}/faces.json`)).toString('utf8')))
          : undefined;
        const attribution = result && faces ? twoSpeakerAttribution(result, faces) : undefined;
        const figures: TwoSpeakerRun = {
          video: path.basename(video),
          bothTalking,
          status: processed.snapshot.job?.status ?? 'UNKNOWN',
          wallSec: processed.wallSeconds,
          words: attribution?.words ?? 0,
          onRightFace: attribution?.onRightFace ?? 0,
          speakers: result?.metrics.speakers ?? 0,
          evidence: result?.speakerEvidence ?? '-',
        };
        runs.push(figures);
        console.log(
          `  ${figures.video}: ${figures.status} in ${figures.wallSec.toFixed(1)} s, ` +
            `${figures.onRightFace}/${figures.words} words on the right face, ${figures.speakers} speakers (${figures.evidence})`,
        );
      }
    }
    return { machine, runs };
  } finally {
    client.close();
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(workDir, { recursive: true, force: true });
  }
}

export function printTwoSpeakers(figures: Awaited<ReturnType<typeof measureTwoSpeakers>>): void {
  console.log('\nTwo-person videos on the local stack (no lip-reading model): end to end, and words on the right face');
  if (typeof figures === 'string') {
    console.log(`  skipped: ${figures}`);
    return;
  }
  console.log(`  ${figures.machine}`);
  for (const bothTalking of [false, true]) {
    const runs = figures.runs.filter((figure) => figure.bothTalking === bothTalking);
    if (!runs.length) continue;
    const words = runs.reduce((sum, figure) => sum + figure.words, 0);
    const right = runs.reduce((sum, figure) => sum + figure.onRightFace, 0);
    const twoSpeakers = runs.filter((figure) => figure.speakers === 2).length;
    console.log(
      `  ${bothTalking ? '--both-talking' : 'listener idle  '}: ${runs.length} videos, median ${median(runs.map((figure) => figure.wallSec)).toFixed(1)} s end to end, ` +
        `${right}/${words} words on the right face (${words ? ((right / words) * 100).toFixed(1) : '-'}%), ` +
        `${twoSpeakers}/${runs.length} with exactly 2 speakers`,
    );
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  printTwoSpeakers(await measureTwoSpeakers());
}
