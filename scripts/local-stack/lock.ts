/**
 * One local stack per data folder: a lock file with the owner's pid. A second start finds
 * it, checks that the pid is alive and says how to stop the running stack; a lock left by a
 * dead process is taken over. The file also tells clients (the CLI) where the stack listens.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

export interface StackLockInfo {
  pid: number;
  startedAt: string;
  endpoints?: Record<string, string>;
}

export class StackAlreadyRunningError extends Error {
  override readonly name = 'StackAlreadyRunningError';
  constructor(readonly holder: StackLockInfo) {
    super(
      `Gorggle's local stack is already running (pid ${holder.pid}, started at ${holder.startedAt}); ` +
        `stop it with Ctrl-C in its terminal or \`kill ${holder.pid}\`.`,
    );
  }
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readStackLock(file: string): StackLockInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(file, 'utf8')) as StackLockInfo;
    return Number.isInteger(info.pid) && info.pid > 0 ? info : undefined;
  } catch {
    return undefined;
  }
}

export interface StackLock {
  readonly file: string;
  readonly info: StackLockInfo;
  /** Records where the stack listens, once it does. */
  update(endpoints: Record<string, string>): void;
  /** Removes the file if it is still ours. */
  release(): void;
}

export function acquireStackLock(file: string, pid = process.pid): StackLock {
  const info: StackLockInfo = { pid, startedAt: new Date().toISOString() };
  const write = (content: StackLockInfo, flag: 'wx' | 'w') =>
    writeFileSync(file, `${JSON.stringify(content, null, 2)}\n`, { flag });
  try {
    write(info, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const holder = readStackLock(file);
    if (holder && isProcessAlive(holder.pid)) throw new StackAlreadyRunningError(holder);
    // Stale (its process is gone) or unreadable: take it over atomically.
    const staging = `${file}.${pid}.tmp`;
    writeFileSync(staging, `${JSON.stringify(info, null, 2)}\n`);
    renameSync(staging, file);
  }
  const owned = () => readStackLock(file)?.pid === pid && readStackLock(file)?.startedAt === info.startedAt;
  return {
    file,
    info,
    update(endpoints) {
      if (!owned()) return;
      Object.assign(info, { endpoints });
      write(info, 'w');
    },
    release() {
      if (owned()) rmSync(file, { force: true });
    },
  };
}
