/**
 * The live view while a job runs: a progress bar and the stage list, redrawn in place on a
 * terminal; on a pipe or a log, one line whenever a stage changes.
 */
import type { JobSnapshot } from './gorggle-client';
import { completedFraction, stageSeconds, type StageProgress } from './stages';

const BAR_WIDTH = 30;
const MARKS: Record<StageProgress['status'], string> = {
  pending: '.',
  running: '>',
  succeeded: '+',
  failed: 'x',
  skipped: '-',
};

export function progressBar(fraction: number, width = BAR_WIDTH): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.round(fraction * 100)).padStart(3)}%`;
}

export function progressLines(snapshot: JobSnapshot, elapsedSeconds: number, now = new Date()): string[] {
  const status = snapshot.job?.status ?? 'waiting for start-pipeline';
  const lines = [`${progressBar(completedFraction(snapshot.stages))}  ${elapsedSeconds.toFixed(1)} s  ${status}`];
  for (const stage of snapshot.stages) {
    const seconds = stageSeconds(stage, now);
    const time = seconds === undefined ? '' : ` ${seconds.toFixed(1)} s`;
    const checks = stage.checks ? ` (check ${stage.checks})` : '';
    lines.push(`  ${MARKS[stage.status]} ${stage.stage.padEnd(11)} ${stage.status}${time}${checks}`);
  }
  return lines;
}

export interface ProgressDisplay {
  update(snapshot: JobSnapshot): void;
  /** Leaves the last frame on screen. */
  finish(): void;
}

export function createProgressDisplay(stream: NodeJS.WriteStream = process.stderr): ProgressDisplay {
  const started = Date.now();
  const elapsed = () => (Date.now() - started) / 1000;
  if (stream.isTTY) {
    let drawn = 0;
    let last: JobSnapshot | undefined;
    const draw = () => {
      if (!last) return;
      const lines = progressLines(last, elapsed());
      // Up over the previous frame, then rewrite each line.
      let out = drawn ? `\x1b[${drawn}A` : '';
      for (const line of lines) out += `\x1b[2K${line}\n`;
      stream.write(out);
      drawn = lines.length;
    };
    // Time moves between polls too.
    const timer = setInterval(draw, 200);
    timer.unref();
    return {
      update(snapshot) {
        last = snapshot;
        draw();
      },
      finish() {
        clearInterval(timer);
        draw();
      },
    };
  }
  const seen = new Map<string, string>();
  return {
    update(snapshot) {
      const jobStatus = snapshot.job?.status ?? 'waiting';
      const note = (key: string, value: string, line: string) => {
        if (seen.get(key) === value) return;
        seen.set(key, value);
        stream.write(`${elapsed().toFixed(1).padStart(6)} s  ${line}\n`);
      };
      // A finished job's stages first, so its status comes last.
      const finished = snapshot.terminal;
      if (!finished) note('job', jobStatus, `job ${jobStatus}`);
      for (const stage of snapshot.stages) {
        if (stage.status !== 'pending') note(stage.stage, stage.status, `${stage.stage} ${stage.status}`);
      }
      if (finished) note('job', jobStatus, `job ${jobStatus}`);
    },
    finish() {},
  };
}
