/**
 * Samples this process and every process it started (the local stack, its lip-reading server,
 * ffmpeg, pocketsphinx) from /proc: the peak of their summed resident memory and the CPU time
 * each program used. CPU time is the robust figure on a shared machine: wall time grows with
 * other people's load, CPU seconds barely do. Linux only; elsewhere it reports nothing.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;
const PAGE_BYTES = 4096;

interface ProcessSample {
  pid: number;
  ppid: number;
  /** The program, e.g. 'node', 'ffmpeg', 'pocketsphinx_co'. */
  name: string;
  cpuTicks: number;
  rssBytes: number;
}

export interface ProcessUsage {
  /** The largest sum of resident memory over the process tree at one sample. */
  peakRssBytes: number;
  /** CPU seconds (user + system) per program over the sampled window. */
  cpuSecondsByProgram: Record<string, number>;
  cpuSeconds: number;
  wallSeconds: number;
}

/** The lip-reading server is a node process too: name it by its script. */
function programName(pid: number, comm: string): string {
  if (comm !== 'node') return comm;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('ec2-avhubert') ? 'lip-reading server (node)' : comm;
  } catch {
    return comm;
  }
}

function readProcess(pid: number): ProcessSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may hold spaces and parentheses: the fields after it start at the last ')'.
    const close = stat.lastIndexOf(')');
    const name = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    // After comm: state(0) ppid(1) … utime(11) stime(12) … rss(21), in pages.
    return {
      pid,
      ppid: Number(fields[1]),
      name,
      cpuTicks: Number(fields[11]) + Number(fields[12]),
      rssBytes: Number(fields[21]) * PAGE_BYTES,
    };
  } catch {
    return undefined; // Exited between readdir and read.
  }
}

/** The pids a process started, from each of its threads' children lists (no walk of all of /proc). */
function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
    );
  } catch {
    return []; // Exited meanwhile.
  }
}

function processTree(root: number): ProcessSample[] {
  const tree: ProcessSample[] = [];
  const pending = [root];
  while (pending.length) {
    const pid = pending.pop() as number;
    const sample = readProcess(pid);
    if (!sample) continue;
    tree.push({ ...sample, name: programName(pid, sample.name) });
    pending.push(...childrenOf(pid));
  }
  return tree;
}

/**
 * Starts sampling every `intervalMs`; `stop()` returns the usage since the start. A short-lived
 * process (an ffprobe) may finish between samples and go uncounted: its CPU is a rounding error
 * next to the decoders and models this is for.
 */
export function sampleProcessTree(intervalMs = 250, root = process.pid): { stop(): ProcessUsage } {
  const started = performance.now();
  /** CPU ticks at the first sight of each pid, and the latest, so only the window counts. */
  const first = new Map<number, number>();
  const latest = new Map<number, ProcessSample>();
  let peakRssBytes = 0;
  const sample = () => {
    let rss = 0;
    for (const proc of processTree(root)) {
      if (!first.has(proc.pid)) first.set(proc.pid, 0);
      latest.set(proc.pid, proc);
      rss += proc.rssBytes;
    }
    peakRssBytes = Math.max(peakRssBytes, rss);
  };
  // Processes already running at the start count from now; ones started later count from 0.
  for (const proc of processTree(root)) first.set(proc.pid, proc.cpuTicks);
  sample();
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return {
    stop() {
      sample();
      clearInterval(timer);
      const cpuSecondsByProgram: Record<string, number> = {};
      let cpuSeconds = 0;
      for (const [pid, proc] of latest) {
        const seconds = (proc.cpuTicks - (first.get(pid) ?? 0)) / TICKS_PER_SECOND;
        const program = pid === root ? `${proc.name} (bench + stack)` : proc.name;
        cpuSecondsByProgram[program] = (cpuSecondsByProgram[program] ?? 0) + seconds;
        cpuSeconds += seconds;
      }
      return { peakRssBytes, cpuSecondsByProgram, cpuSeconds, wallSeconds: (performance.now() - started) / 1000 };
    },
  };
}
