import { renderStateMachine } from '../../scripts/render-statemachine';
import type { LambdaErrorPayload } from '../../scripts/local-stack/lambda/runner';
import { SfnEngine, walkStates, type TaskOutcome } from '../../scripts/local-stack/sfn/engine';

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
  const execution = await runOnLocalEngine(async (resource, input): Promise<TaskOutcome> => {
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
  });
  return { execution, calls };
}

/** One execution of the rendered definition, its Lambda tasks answered by `invokeTask`, waits and retries immediate. */
async function runOnLocalEngine(invokeTask: (resource: string, input: unknown) => Promise<TaskOutcome>) {
  const engine = new SfnEngine({
    stateMachine: {
      name: 'gorggle-pipeline',
      arn: 'arn:aws:states:us-east-1:000000000000:stateMachine:gorggle-pipeline',
      roleArn: 'arn:aws:iam::000000000000:role/gorggle-pipeline',
      definition: renderStateMachine({ functionArn, taskTimeoutSeconds: () => 45 }) as never,
    },
    waitMs: 0,
    retryIntervalScale: 0,
    invokeTask,
  });
  const { executionArn } = engine.startExecution({
    stateMachineArn: engine.stateMachine.arn,
    name: 'job-1',
    input: JSON.stringify({ jobId: 'job-1' }),
  });
  await engine.settled(executionArn);
  await engine.close();
  return engine.describeExecution({ executionArn });
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

/** A Task of the rendered definition: the function it invokes and the action it passes. */
interface TaskOfDefinition {
  state: string;
  function: string;
  action?: string;
}

const taskKey = (fn: string, action: unknown) => (typeof action === 'string' ? `${fn}:${action}` : fn);

function tasksOf(definition: Record<string, unknown>): TaskOfDefinition[] {
  return walkStates(definition).flatMap(([state, body]) =>
    body.Type === 'Task'
      ? [
          {
            state,
            function: functionOf(String(body.Resource)),
            action: (body.Parameters as { action?: string } | undefined)?.action,
          },
        ]
      : [],
  );
}

const runningBranch = (modality: string) => ({ ...succeededBranch(modality), status: 'running', endedAt: undefined });

/**
 * The pipeline on the local engine where one Task's function always runs past its timeout
 * (the Lambda reports Sandbox.Timedout every time). Everything else works; extraction fails
 * with a terminal error only when the Task under test is RecordFailure, so that it runs.
 */
async function runWithTaskAlwaysTimingOut(target: TaskOfDefinition) {
  const calls: Array<{ key: string; input: unknown }> = [];
  const targetKey = taskKey(target.function, target.action);
  const execution = await runOnLocalEngine(async (resource, input): Promise<TaskOutcome> => {
    const name = functionOf(resource);
    const action = (input as { action?: unknown }).action;
    const key = taskKey(name, action);
    calls.push({ key, input });
    if (key === targetKey) return { ok: false, error: timedOut(30) };
    if (name === 'extract') {
      return target.state === 'RecordFailure'
        ? {
            ok: false,
            error: { errorType: 'UnsupportedMediaError', errorMessage: 'The file is not a video.', trace: [] },
          }
        : { ok: true, payload: { hasAudio: true, hasVideo: true } };
    }
    if (name === 'fuse') return { ok: true, payload: { status: 'COMPLETED' } };
    const modality = MODALITY_OF[name];
    if (modality) {
      // A start whose check is under test says "running", so that the check runs.
      const checkUnderTest = action === 'start' && targetKey === taskKey(name, 'check');
      return { ok: true, payload: checkUnderTest ? runningBranch(modality) : succeededBranch(modality) };
    }
    return { ok: true, payload: null };
  });
  const callsOf = (key: string) => calls.filter((call) => call.key === key);
  return { execution, calls: callsOf(targetKey), callsOf };
}

const PIPELINE_TASKS = tasksOf(renderStateMachine({ functionArn, taskTimeoutSeconds: () => 45 }));
const BRANCH_TASKS = PIPELINE_TASKS.filter((task) => MODALITY_OF[task.function]);

describe('a task whose function always runs past its timeout, on the rendered definition', () => {
  it('covers every Task of the definition', () => {
    expect(PIPELINE_TASKS.map((task) => task.state)).toEqual(
      expect.arrayContaining(['ExtractMedia', 'StartTranscription', 'CheckLipReading', 'Fuse', 'RecordFailure']),
    );
    expect(BRANCH_TASKS).toHaveLength(6);
  });

  it.each(BRANCH_TASKS.map((task) => [task.state, task] as const))(
    '%s is called exactly 3 times, then its branch fails and the job goes on without it',
    async (_, task) => {
      // Act
      const { execution, calls, callsOf } = await runWithTaskAlwaysTimingOut(task);

      // Assess
      expect(calls).toHaveLength(3);
      expect(execution.status).toBe('SUCCEEDED');
      const fuse = callsOf('fuse')[0]?.input as {
        branches: Array<{ modality: string; status: string; error?: object }>;
      };
      const modality = MODALITY_OF[task.function];
      expect(fuse.branches.find((branch) => branch.modality === modality)).toMatchObject({
        status: 'failed',
        error: { name: 'Sandbox.Timedout' },
      });
      expect(fuse.branches.filter((branch) => branch.modality !== modality).map((branch) => branch.status)).toEqual([
        'succeeded',
        'succeeded',
      ]);
      expect(callsOf('record-failure')).toEqual([]);
    },
  );

  it.each(['ExtractMedia', 'Fuse'])(
    '%s is called exactly 3 times, then the job is recorded as failed',
    async (state) => {
      // Act
      const task = PIPELINE_TASKS.find((candidate) => candidate.state === state)!;
      const { execution, calls, callsOf } = await runWithTaskAlwaysTimingOut(task);

      // Assess
      expect(calls).toHaveLength(3);
      expect(execution.status).toBe('FAILED');
      expect(callsOf('record-failure').map((call) => call.input)).toEqual([
        { jobId: 'job-1', failure: expect.objectContaining({ Error: 'Sandbox.Timedout' }) },
      ]);
    },
  );

  it('RecordFailure is called exactly 3 times, then the execution fails', async () => {
    // Act
    const task = PIPELINE_TASKS.find((candidate) => candidate.state === 'RecordFailure')!;
    const { execution, calls } = await runWithTaskAlwaysTimingOut(task);

    // Assess
    expect(calls).toHaveLength(3);
    expect(execution).toMatchObject({ status: 'FAILED', error: 'Sandbox.Timedout' });
  });
});
