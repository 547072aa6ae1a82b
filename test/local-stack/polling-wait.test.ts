import { pollingWaitMs } from '../../scripts/local-stack/sfn/engine';

describe('local polling waits', () => {
  const limits = { firstWaitMs: 200, waitMs: 5000 };

  it('waits briefly at first, so a job of a few seconds is seen finished at once', () => {
    // Act / Assess
    expect(pollingWaitMs(0, limits)).toBe(200);
    expect(pollingWaitMs(1500, limits)).toBe(200);
  });

  it('then waits a tenth of the time polled so far, up to waitMs', () => {
    // Act / Assess
    expect(pollingWaitMs(10_000, limits)).toBe(1000);
    expect(pollingWaitMs(40_000, limits)).toBe(4000);
    expect(pollingWaitMs(300_000, limits)).toBe(5000);
  });

  it('never waits longer than waitMs, even when that is below the first wait', () => {
    // Act / Assess
    expect(pollingWaitMs(60_000, { firstWaitMs: 200, waitMs: 0 })).toBe(0);
    expect(pollingWaitMs(0, { firstWaitMs: 200, waitMs: 50 })).toBe(50);
  });
});
