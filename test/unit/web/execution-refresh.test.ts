import { EXECUTION_REFRESH_MIN_MS, ExecutionRefresh } from '../../../web/src/execution-refresh';

/** The job page polls the job row every 3 s; the row changes whenever a stage or a check records something. */
function simulate(minutes: number, rowChangesEveryMs: number, throttleAt?: number) {
  let now = 0;
  const refresh = new ExecutionRefresh(() => now);
  let reads = 0;
  for (; now < minutes * 60_000; now += 3_000) {
    const job = {
      status: now + 3_000 >= minutes * 60_000 ? 'COMPLETED' : 'RUNNING',
      updatedAt: String(Math.floor(now / rowChangesEveryMs)),
      executionArn: 'arn:aws:states:eu-west-1:1:execution:sm:job',
    } as const;
    if (!refresh.due(job)) continue;
    reads += 1;
    if (throttleAt !== undefined && reads === throttleAt) refresh.throttled();
    else refresh.read(job);
  }
  return reads;
}

describe('ExecutionRefresh: how often the job page reads GetExecutionHistory', () => {
  it('reads at most every 15 s while a job runs, and once more when it finishes, not on every 3 s poll', () => {
    // Act: a 10-minute job whose row changes every 5 s.
    const reads = simulate(10, 5_000);

    // Assess: 200 polls, about 41 reads; before, every poll read (up to 5 pages each).
    expect(reads).toBeLessThanOrEqual((10 * 60_000) / EXECUTION_REFRESH_MIN_MS + 2);
    expect(reads).toBeGreaterThan(10);
  });

  it('reads once, then nothing while the job row does not change', () => {
    expect(simulate(5, 10 * 60_000)).toBe(1);
  });

  it('backs off for a minute after the API answers 429', () => {
    // Act
    const throttledOnce = simulate(2, 3_000, 2);
    const never = simulate(2, 3_000);

    // Assess
    expect(throttledOnce).toBeLessThan(never);
  });
});
