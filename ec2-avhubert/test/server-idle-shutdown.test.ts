import { jest } from '@jest/globals';
import { IdleShutdown, shellPowerOff } from '../src/server/idle-shutdown';
import { JobQueue, type JobOutcome } from '../src/server/job-queue';
import { silentLogger } from '../src/server/logger';

const MINUTE = 60_000;

const flush = async () => {
  for (let i = 0; i < 5; i += 1) await Promise.resolve();
};

describe('idle power-off', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('powers off once after the idle period, and not a minute before', async () => {
    // Prepare
    const powerOff = jest.fn(() => Promise.resolve());
    const idle = new IdleShutdown({ idleMs: 15 * MINUTE, powerOff, log: silentLogger });

    // Act
    idle.idle();
    jest.advanceTimersByTime(14 * MINUTE);
    const before = powerOff.mock.calls.length;
    jest.advanceTimersByTime(1 * MINUTE);
    await flush();
    jest.advanceTimersByTime(60 * MINUTE);

    // Assess
    expect(before).toBe(0);
    expect(powerOff).toHaveBeenCalledTimes(1);
  });

  it('restarts the countdown when work arrives and ends', () => {
    // Prepare
    const powerOff = jest.fn(() => Promise.resolve());
    const idle = new IdleShutdown({ idleMs: 15 * MINUTE, powerOff, log: silentLogger });
    idle.idle();

    // Act: busy at minute 10 for 20 minutes, then idle again
    jest.advanceTimersByTime(10 * MINUTE);
    idle.busy();
    jest.advanceTimersByTime(20 * MINUTE);
    const whileBusy = powerOff.mock.calls.length;
    idle.idle();
    jest.advanceTimersByTime(14 * MINUTE);
    const beforeDeadline = powerOff.mock.calls.length;
    jest.advanceTimersByTime(1 * MINUTE);

    // Assess
    expect(whileBusy).toBe(0);
    expect(beforeDeadline).toBe(0);
    expect(powerOff).toHaveBeenCalledTimes(1);
  });

  it('never powers off when the idle minutes are 0', () => {
    const powerOff = jest.fn(() => Promise.resolve());
    const idle = new IdleShutdown({ idleMs: 0, powerOff, log: silentLogger });
    idle.idle();
    jest.advanceTimersByTime(24 * 60 * MINUTE);
    expect(idle.enabled).toBe(false);
    expect(powerOff).not.toHaveBeenCalled();
  });

  it('tries again after another idle period when the power-off command fails', async () => {
    // Prepare
    const powerOff = jest.fn(() => Promise.reject(new Error('sudo: a password is required')));
    const idle = new IdleShutdown({ idleMs: 15 * MINUTE, powerOff, log: silentLogger });

    // Act
    idle.idle();
    jest.advanceTimersByTime(15 * MINUTE);
    await flush();
    jest.advanceTimersByTime(15 * MINUTE);
    await flush();

    // Assess
    expect(powerOff).toHaveBeenCalledTimes(2);
  });

  it('follows the job queue: no power-off while a job runs, the countdown starts when it ends', async () => {
    // Prepare
    const powerOff = jest.fn(() => Promise.resolve());
    const idle = new IdleShutdown({ idleMs: 15 * MINUTE, powerOff, log: silentLogger });
    let finishJob!: (outcome: JobOutcome) => void;
    const queue = new JobQueue({
      runner: () => new Promise<JobOutcome>((resolve) => (finishJob = resolve)),
      capacity: 2,
      concurrency: 1,
      timeoutMs: 120 * MINUTE,
      onActivity: (busy) => (busy ? idle.busy() : idle.idle()),
    });
    idle.idle();

    // Act
    jest.advanceTimersByTime(5 * MINUTE);
    queue.submit({ video: { bucket: 'b', key: 'jobs/1/video.mp4' }, mode: 'vsr' });
    jest.advanceTimersByTime(60 * MINUTE);
    const duringJob = powerOff.mock.calls.length;
    finishJob({
      result: { bucket: 'b', key: 'jobs/1/lipreading.json' },
      stats: { frames: 1, downloadMs: 0, preprocessMs: 0, inferenceMs: 0, inferenceMsPerChunk: [], uploadMs: 0 },
    });
    await flush();
    jest.advanceTimersByTime(15 * MINUTE);

    // Assess
    expect(duringJob).toBe(0);
    expect(queue.isIdle).toBe(true);
    expect(powerOff).toHaveBeenCalledTimes(1);
  });
});

describe('shellPowerOff', () => {
  it('runs the configured command and reports its stderr when it fails', async () => {
    await expect(shellPowerOff('true')()).resolves.toBeUndefined();
    await expect(shellPowerOff('echo "not allowed" >&2; exit 3')()).rejects.toThrow(/not allowed/);
  });
});
