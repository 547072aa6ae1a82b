import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { EmulatorLogger } from './types';

export type JobTask = (signal: AbortSignal) => Promise<void>;

/**
 * Runs background jobs a few at a time, in arrival order. Closing aborts the running ones
 * and hands the waiting ones an aborted signal, so every job reaches its own failure path.
 */
export class JobQueue {
  private readonly waiting: Array<{ id: string; task: JobTask }> = [];
  private readonly running = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();

  constructor(
    private readonly concurrency: number,
    private readonly logger: EmulatorLogger,
    /** Told when a job leaves the waiting line, before its task starts. */
    private readonly onStart: (id: string) => void = () => undefined,
  ) {}

  enqueue(id: string, task: JobTask): void {
    this.waiting.push({ id, task });
    this.pump();
  }

  async close(): Promise<void> {
    this.abort.abort(new Error('The local emulator shut down while the job ran.'));
    while (this.waiting.length > 0 || this.running.size > 0) {
      this.pump(true);
      await Promise.allSettled([...this.running.values()]);
    }
  }

  private pump(draining = false): void {
    while (this.waiting.length > 0 && (draining || this.running.size < this.concurrency)) {
      const next = this.waiting.shift();
      if (!next) return;
      this.onStart(next.id);
      const run = next.task(this.abort.signal).then(
        () => undefined,
        (error: unknown) => this.logger.error('job task threw', { jobId: next.id, error: String(error) }),
      );
      this.running.set(next.id, run);
      void run.finally(() => {
        this.running.delete(next.id);
        if (!draining) this.pump();
      });
    }
  }
}

/**
 * Job records as one JSON file each under `dir`, written atomically (temp file, then
 * rename) so a crash never leaves half a record.
 */
export class JobRecordStore<T> {
  private readonly writes = new Map<string, Promise<void>>();

  constructor(private readonly dir: string) {}

  async loadAll(): Promise<T[]> {
    await mkdir(this.dir, { recursive: true });
    const names = (await readdir(this.dir)).filter((name) => name.endsWith('.json'));
    const records: T[] = [];
    for (const name of names) {
      try {
        records.push(JSON.parse(await readFile(path.join(this.dir, name), 'utf8')) as T);
      } catch {
        // A record from an older, incompatible run: skipped rather than fatal.
      }
    }
    return records;
  }

  /** Writes are chained per id, so the last state written is the last state saved. */
  save(id: string, record: T): Promise<void> {
    const file = path.join(this.dir, `${encodeURIComponent(id)}.json`);
    const body = JSON.stringify(record);
    const previous = this.writes.get(id) ?? Promise.resolve();
    const next = previous.then(async () => {
      await mkdir(this.dir, { recursive: true });
      await writeFile(`${file}.tmp`, body);
      await rename(`${file}.tmp`, file);
    });
    const settled = next.catch(() => undefined);
    this.writes.set(id, settled);
    void settled.finally(() => {
      if (this.writes.get(id) === settled) this.writes.delete(id);
    });
    return next;
  }

  async remove(id: string): Promise<void> {
    await this.writes.get(id);
    await rm(path.join(this.dir, `${encodeURIComponent(id)}.json`), { force: true });
  }

  async flush(): Promise<void> {
    await Promise.all([...this.writes.values()]);
  }
}
