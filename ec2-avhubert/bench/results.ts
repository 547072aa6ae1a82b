/** Shared by the lip-reading benchmarks: the machine's description and bench/RESULTS.md sections. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../test/support/paths';

const RESULTS = path.join(REPO_ROOT, 'bench', 'RESULTS.md');

export function machine(): string {
  const cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown CPU';
  const cores = execFileSync('nproc', { encoding: 'utf8' }).trim();
  return `${cores} cores (nproc), ${cpu}, Node ${process.version}`;
}

/** Replaces the section under `heading` in bench/RESULTS.md (or appends it) and leaves the others alone. */
export function writeResultsSection(heading: string, section: string): void {
  const existing = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '# Benchmark results\n';
  const start = existing.indexOf(`${heading}\n`);
  if (start === -1) {
    writeFileSync(RESULTS, `${existing.trimEnd()}\n\n${section}`);
  } else {
    const next = existing.indexOf('\n## ', start + heading.length);
    const rest = next === -1 ? '' : existing.slice(next + 1);
    writeFileSync(RESULTS, `${existing.slice(0, start)}${section}${rest ? `\n${rest}` : ''}`);
  }
  console.log(`\nwritten to ${path.relative(REPO_ROOT, RESULTS)}`);
}
