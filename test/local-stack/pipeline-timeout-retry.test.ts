import { renderStateMachine } from '../../scripts/render-statemachine';
import type { LambdaErrorPayload } from '../../scripts/local-stack/lambda/runner';
import { SfnEngine, type TaskOutcome } from '../../scripts/local-stack/sfn/engine';

const functionArn = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:gorggle-${name}`;
const functionOf = (resource: string) => resource.split(':function:gorggle-')[1] ?? resource;

/** What the local runner (and Lambda) report when a function runs past its timeout. */
const timedOut = (seconds: number): LambdaErrorPayload => ({
  errorType: 'Sandbox.Timedout',
  errorMessage: `2026-01-01T00:00:00.000Z 0000 Task timed out after ${seconds.toFixed(2)} seconds`,
  trace: [],
});

const succeededBranch = (modality: string) => ({
  modality,
  status: 'succeeded',
  attempts: 0,
  waitSeconds: 1,
  startedAt: '2026-01-01T00:00:00.000Z',
  endedAt: '2026-01-01T00:00:01.000Z',
  output: { bucket: 'processed', key: `jobs/job-1/${modality}.json` },
});

const MODALITY_OF: Record<string, string> = {
  transcribe: 'transcribe',
  'face-detect': 'faces',
  'invoke-lipreading': 'lipreading',
};

/**
 * The pipeline's own definition on the local engine, with its Lambda tasks answered here:
 * `timeOutFirst` names the functions whose first call runs past the function timeout, as a
 * branch start did for every job of a 20-upload burst on a CPU-starved machine.
 */
async function runPipeline(timeOutFirst: readonly string[]) {
  const calls: Array<{ name: string; input: unknown }> = [];
  const engine = new SfnEngine({
    stateMachine: {
      name: 'gorggle-pipeline',
      arn: 'arn:aws:states:us-east-1:000000000000:stateMachine:gorggle-pipeline',
      roleArn: 'arn:aws:iam::000000000000:role/gorggle-pipeline',
      definition: renderStateMachine({ functionArn, taskTimeoutSeconds: () => 45 }) as never,
    },
    waitMs: 0,
    retryIntervalScale: 0,
    invokeTask: async (resource, input): Promise<TaskOutcome> => {
      const name = functionOf(resource);
      calls.push({ name, input });
      if (timeOutFirst.includes(name) && calls.filter((call) => call.name === name).length === 1) {
        return { ok: false, error: timedOut(30) };
      }
      if (name === 'extract') return { ok: true, payload: { hasAudio: true, hasVideo: true } };
      if (name === 'fuse') return { ok: true, payload: { status: 'COMPLETED' } };
      const modality = MODALITY_OF[name];
      if (modality) return { ok: true, payload: succeededBranch(modality) };
      return { ok: true, payload: null };
    },
  });
  const { executionArn } = engine.startExecution({
    stateMachineArn: engine.stateMachine.arn,
    name: 'job-1',
    input: JSON.stringify({ jobId: 'job-1' }),
  });
  await engine.settled(executionArn);
  await engine.close();
  return { execution: engine.describeExecution({ executionArn }), calls };
}

describe('the pipeline on the local engine, when a task runs past its function timeout', () => {
  it('retries a timed-out branch start, so the branch and the job still succeed', async () => {
    // Act
    const { execution, calls } = await runPipeline(['transcribe', 'invoke-lipreading']);

    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    expect(calls.filter((call) => call.name === 'transcribe')).toHaveLength(2);
    expect(calls.filter((call) => call.name === 'invoke-lipreading')).toHaveLength(2);
    const fuse = calls.find((call) => call.name === 'fuse')?.input as { branches: Array<{ status: string }> };
    expect(fuse.branches.map((branch) => branch.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(calls.some((call) => call.name === 'record-failure')).toBe(false);
  });

  it('retries a timed-out extraction instead of failing the job', async () => {
    // Act
    const { execution, calls } = await runPipeline(['extract']);

    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    expect(calls.filter((call) => call.name === 'extract')).toHaveLength(2);
    expect(calls.some((call) => call.name === 'record-failure')).toBe(false);
  });
});
