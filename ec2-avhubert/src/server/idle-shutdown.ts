import { execFile } from 'node:child_process';
import type { Logger } from './logger';
import { silentLogger } from './logger';

/**
 * Powers the instance off after `idleMs` with nothing queued or running. The instance's
 * shutdown behaviour is 'stop', so this stops it and its billing; the pipeline starts it
 * again on the next job.
 */
export class IdleShutdown {
  private timer: NodeJS.Timeout | undefined;
  private poweringOff = false;

  constructor(
    private readonly options: {
      idleMs: number;
      powerOff: () => Promise<void>;
      log?: Logger;
    },
  ) {}

  get enabled(): boolean {
    return this.options.idleMs > 0;
  }

  get armed(): boolean {
    return this.timer !== undefined;
  }

  /** Work arrived: forget the countdown. */
  busy(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Nothing to do: start (or restart) the countdown. */
  idle(): void {
    if (!this.enabled || this.poweringOff) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.fire(), this.options.idleMs);
    this.timer.unref();
  }

  stop(): void {
    this.busy();
    this.poweringOff = true;
  }

  private async fire(): Promise<void> {
    this.timer = undefined;
    const log = this.options.log ?? silentLogger;
    this.poweringOff = true;
    log.info('idle for too long: powering off', { idleMinutes: this.options.idleMs / 60_000 });
    try {
      await this.options.powerOff();
    } catch (error) {
      // Stay up and try again after another idle period rather than die or spin.
      log.error('power-off command failed; will retry after the next idle period', { error });
      this.poweringOff = false;
      this.idle();
    }
  }
}

/** Runs the configured shell command, e.g. `/usr/bin/systemctl --no-ask-password poweroff`. */
export function shellPowerOff(command: string): () => Promise<void> {
  return () =>
    new Promise((resolve, reject) => {
      execFile('/bin/sh', ['-c', command], { timeout: 30_000 }, (error, _stdout, stderr) => {
        if (error) reject(new Error(`\`${command}\` failed: ${stderr.trim() || error.message}`));
        else resolve();
      });
    });
}
