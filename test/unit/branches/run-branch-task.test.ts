import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { StageRecord } from '../../../functions/lib/contracts/job';
import type { AnalysedInput, BranchState, Stage } from '../../../functions/lib/contracts/pipeline';
import {
  runBranchTask,
  type BranchOutcome,
  type BranchProvider,
} from '../../../functions/lib/branches/run-branch-task';
import { LipReadingUnavailableError, TranscriptionFailedError } from '../../../functions/lib/errors';
import type { JobRepository } from '../../../functions/lib/ports';
import { REPO_ROOT } from '../../support/paths';

const job = (
  JSON.parse(readFileSync(path.join(REPO_ROOT, 'events', 'transcribe', 'start.json'), 'utf8')) as {
    job: AnalysedInput;
  }
).job;

class RecordingJobs implements Pick<JobRepository, 'updateStage'> {
  readonly updates: Array<{ jobId: string; stage: Stage; record: StageRecord }> = [];
  async updateStage(jobId: string, stage: Stage, record: StageRecord) {
    this.updates.push({ jobId, stage, record });
  }
}

const fixedClock = (iso: string) => ({ now: () => new Date(iso) });

function scriptedProvider(steps: Array<BranchOutcome | Error>): BranchProvider & { calls: string[] } {
  const calls: string[] = [];
  const next = async (kind: string) => {
    calls.push(kind);
    const step = steps.shift();
    if (!step) throw new Error('no more scripted steps');
    if (step instanceof Error) throw step;
    return step;
  };
  return { modality: 'transcribe', calls, start: () => next('start'), check: () => next('check') };
}

function setup(steps: Array<BranchOutcome | Error>, now = '2025-06-01T10:00:02.000Z') {
  const jobs = new RecordingJobs();
  const provider = scriptedProvider(steps);
  const deps = { jobs: jobs as unknown as JobRepository, clock: fixedClock(now), pollIntervalSeconds: 7 };
  return { jobs, provider, deps };
}

describe('runBranchTask', () => {
  it('starts a branch at attempt 0 with the configured wait and marks the stage running', async () => {
    // Prepare
    const { jobs, provider, deps } = setup([{ status: 'running', handle: 'gorggle-job' }]);

    // Act
    const state = await runBranchTask({ action: 'start', job }, provider, deps);

    // Assess
    expect(state).toEqual({
      modality: 'transcribe',
      status: 'running',
      handle: 'gorggle-job',
      attempts: 0,
      waitSeconds: 7,
      startedAt: '2025-06-01T10:00:02.000Z',
    });
    expect(jobs.updates).toEqual([
      { jobId: job.jobId, stage: 'transcribe', record: { status: 'running', startedAt: '2025-06-01T10:00:02.000Z' } },
    ]);
  });

  it('counts a check as an attempt, keeps the handle and records the end on success', async () => {
    // Prepare
    const output = { bucket: 'gorggle-processed', key: `jobs/${job.jobId}/transcribe.json` };
    const { jobs, provider, deps } = setup(
      [{ status: 'succeeded', output, facts: { words: 6 } }],
      '2025-06-01T10:00:40.000Z',
    );
    const previous: BranchState = {
      modality: 'transcribe',
      status: 'running',
      handle: 'gorggle-job',
      attempts: 2,
      waitSeconds: 7,
      startedAt: '2025-06-01T10:00:02.000Z',
      facts: { mode: 'x' },
    };

    // Act
    const state = await runBranchTask({ action: 'check', job, state: previous }, provider, deps);

    // Assess
    expect(state).toMatchObject({
      status: 'succeeded',
      handle: 'gorggle-job',
      attempts: 3,
      output,
      endedAt: '2025-06-01T10:00:40.000Z',
      facts: { mode: 'x', words: 6 },
    });
    expect(jobs.updates[0]!.record).toEqual({
      status: 'succeeded',
      startedAt: '2025-06-01T10:00:02.000Z',
      endedAt: '2025-06-01T10:00:40.000Z',
      facts: { mode: 'x', words: 6 },
    });
  });

  it('records a skip with its reason on the job row', async () => {
    // Prepare
    const { jobs, provider, deps } = setup([{ status: 'skipped', reason: 'no audio stream' }]);

    // Act
    const state = await runBranchTask({ action: 'start', job }, provider, deps);

    // Assess
    expect(state).toMatchObject({ status: 'skipped', reason: 'no audio stream', endedAt: '2025-06-01T10:00:02.000Z' });
    expect(jobs.updates[0]!.record).toMatchObject({ status: 'skipped', facts: { reason: 'no audio stream' } });
  });

  it('turns a terminal error into a failed branch instead of failing the execution', async () => {
    // Prepare
    const { jobs, provider, deps } = setup([new TranscriptionFailedError('The audio is unreadable.')]);

    // Act
    const state = await runBranchTask({ action: 'start', job }, provider, deps);

    // Assess
    expect(state.status).toBe('failed');
    expect(state.error).toEqual({ name: 'TranscriptionFailedError', message: 'The audio is unreadable.' });
    expect(jobs.updates[0]!.record.error?.name).toBe('TranscriptionFailedError');
  });

  it('lets transient errors propagate for the state machine to retry, writing nothing', async () => {
    // Prepare
    const { jobs, provider, deps } = setup([new LipReadingUnavailableError('busy')]);

    // Act
    const run = runBranchTask({ action: 'start', job }, provider, deps);

    // Assess
    await expect(run).rejects.toThrow(LipReadingUnavailableError);
    expect(jobs.updates).toHaveLength(0);
  });

  it('leaves a finished branch alone when a stray check arrives', async () => {
    // Prepare
    const { jobs, provider, deps } = setup([]);
    const finished: BranchState = {
      modality: 'transcribe',
      status: 'skipped',
      attempts: 0,
      waitSeconds: 7,
      startedAt: '2025-06-01T10:00:02.000Z',
      reason: 'no audio stream',
    };

    // Act
    const state = await runBranchTask({ action: 'check', job, state: finished }, provider, deps);

    // Assess
    expect(state).toBe(finished);
    expect(provider.calls).toEqual([]);
    expect(jobs.updates).toHaveLength(0);
  });
});
