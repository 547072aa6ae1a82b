import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { LambdaRunner } from '../../scripts/local-stack/lambda/runner';
import { SfnEngine } from '../../scripts/local-stack/sfn/engine';
import { startSfnServer, type RunningSfn } from '../../scripts/local-stack/sfn/server';
import { buildTestFunctions, type TestFunctions } from './support/function-zips';

const arn = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:test-${name}`;
const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:test-pipeline';

/** Echo, a long Wait (shortened locally), then a task that fails twice and is caught. */
const definition = {
  StartAt: 'Route',
  States: {
    Route: {
      Type: 'Choice',
      Choices: [
        { Variable: '$.mode', StringEquals: 'hang', Next: 'Hang' },
        { Variable: '$.mode', StringEquals: 'slow', Next: 'Slow' },
      ],
      Default: 'Echo',
    },
    Echo: { Type: 'Task', Resource: arn('echo'), ResultPath: '$.echo', Next: 'Pause' },
    Pause: { Type: 'Wait', Seconds: 3600, Next: 'Reject' },
    Reject: {
      Type: 'Task',
      Resource: arn('fail'),
      Retry: [{ ErrorEquals: ['UploadRejectedError'], IntervalSeconds: 10, MaxAttempts: 1 }],
      Catch: [{ ErrorEquals: ['UploadRejectedError'], ResultPath: '$.caught', Next: 'Caught' }],
      Next: 'Caught',
    },
    Caught: {
      Type: 'Pass',
      Parameters: {
        'error.$': '$.caught.Error',
        'cause.$': '$.caught.Cause',
        'enteredAt.$': '$$.State.EnteredTime',
        'execution.$': '$$.Execution.Name',
        'echoed.$': '$.echo.event.mode',
      },
      End: true,
    },
    Hang: { Type: 'Task', Resource: arn('hang'), TimeoutSeconds: 30, End: true },
    Slow: {
      Type: 'Task',
      Resource: arn('hang'),
      TimeoutSeconds: 1,
      Catch: [{ ErrorEquals: ['States.Timeout'], Next: 'TimedOut' }],
      End: true,
    },
    TimedOut: { Type: 'Succeed' },
  },
};

/** Polls until `ready()` holds; generous, as this machine may be busy. */
async function waitFor(ready: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface LocalSfnApi {
  sfn: SFNClient;
  persistDir: string;
  /** A new engine over the same folder, as after a restart of the stack. */
  restartedEngine(): SfnEngine;
  close(): Promise<void>;
}

describe('local Step Functions API', () => {
  let functions: TestFunctions;
  let runner: LambdaRunner;
  let api: LocalSfnApi;
  let sfn: SFNClient;

  const newEngine = (persistDir: string) =>
    new SfnEngine({
      stateMachine: {
        name: 'test-pipeline',
        arn: STATE_MACHINE_ARN,
        roleArn: 'arn:aws:iam::000000000000:role/test',
        definition: definition as never,
      },
      waitMs: 10,
      retryIntervalScale: 0.01,
      persistDir,
      invokeTask: (resource, input, signal) => runner.invoke(resource.split(':function:test-')[1]!, input, { signal }),
    });

  /** An API server over its own engine and folder, so no test sees another's executions. */
  async function startApi(): Promise<LocalSfnApi> {
    const persistDir = mkdtempSync(path.join(tmpdir(), 'gorggle-sfn-test-'));
    const server: RunningSfn = await startSfnServer({ engine: newEngine(persistDir), host: '127.0.0.1', port: 0 });
    const client = new SFNClient({
      endpoint: server.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    return {
      sfn: client,
      persistDir,
      restartedEngine: () => newEngine(persistDir),
      async close() {
        client.destroy();
        await server.close();
        rmSync(persistDir, { recursive: true, force: true });
      },
    };
  }

  async function finished(executionArn: string, client = sfn) {
    let execution: DescribeExecutionCommandOutput | undefined;
    await waitFor(async () => {
      execution = await client.send(new DescribeExecutionCommand({ executionArn }));
      return execution.status !== 'RUNNING';
    }, `${executionArn} ending`);
    return execution!;
  }

  async function history(executionArn: string): Promise<HistoryEvent[]> {
    return (await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events ?? [];
  }

  beforeAll(async () => {
    functions = await buildTestFunctions();
    runner = new LambdaRunner({
      functionsDir: functions.functionsDir,
      unpackDir: path.join(functions.workDir, 'unpacked'),
      logDir: path.join(functions.workDir, 'logs'),
      lookup: functions.lookup,
    });
    api = await startApi();
    sfn = api.sfn;
  });

  afterAll(async () => {
    await api?.close();
    await runner.close();
    rmSync(functions.workDir, { recursive: true, force: true });
  });

  it('runs Lambda tasks, shortens the Wait, retries and catches a named error, and records AWS-shaped history', async () => {
    // Act
    const started = Date.now();
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: STATE_MACHINE_ARN, name: 'job-1', input: '{"mode":"echo"}' }),
    );
    const execution = await finished(executionArn!);
    const events = await history(executionArn!);

    // Assess
    expect(executionArn).toBe('arn:aws:states:us-east-1:000000000000:execution:test-pipeline:job-1');
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.startDate).toBeInstanceOf(Date);
    const output = JSON.parse(execution.output!) as Record<string, string>;
    expect(output).toMatchObject({ error: 'UploadRejectedError', execution: 'job-1', echoed: 'echo' });
    expect(JSON.parse(output.cause!)).toMatchObject({
      errorType: 'UploadRejectedError',
      errorMessage: expect.stringContaining('rejected'),
    });
    expect(new Date(output.enteredAt!).getTime()).toBeGreaterThanOrEqual(started - 1000);
    expect(events.map((event) => event.type)).toEqual([
      'ExecutionStarted',
      'ChoiceStateEntered',
      'ChoiceStateExited',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'WaitStateEntered',
      'WaitStateExited',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionFailed',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionFailed',
      'TaskStateExited',
      'PassStateEntered',
      'PassStateExited',
      'ExecutionSucceeded',
    ]);
    events.forEach((event, index) => {
      expect(event.id).toBe(index + 1);
      expect(event.previousEventId).toBe(index);
      expect(event.timestamp).toBeInstanceOf(Date);
    });
    // The Wait says an hour; shortened locally, it passes in well under a minute even on a busy machine.
    const waited =
      events.find((event) => event.type === 'WaitStateExited')!.timestamp!.getTime() -
      events.find((event) => event.type === 'WaitStateEntered')!.timestamp!.getTime();
    expect(waited).toBeLessThan(60_000);
    expect(events[0]!.executionStartedEventDetails).toMatchObject({ input: '{"mode":"echo"}' });
    expect(events[3]!.stateEnteredEventDetails).toMatchObject({ name: 'Echo' });
    expect(events[4]!.lambdaFunctionScheduledEventDetails).toMatchObject({ resource: arn('echo') });
    expect(JSON.parse(events[6]!.lambdaFunctionSucceededEventDetails!.output!)).toMatchObject({
      event: { mode: 'echo' },
    });
    expect(events[13]!.lambdaFunctionFailedEventDetails).toMatchObject({
      error: 'UploadRejectedError',
      cause: expect.stringContaining('"errorType":"UploadRejectedError"'),
    });
    expect(events.at(-1)!.executionSucceededEventDetails?.output).toBe(execution.output);
  });

  it('answers ExecutionAlreadyExists for a used name, and the same start while it runs is idempotent', async () => {
    // Prepare
    const first = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: STATE_MACHINE_ARN, name: 'job-dup', input: '{"mode":"hang"}' }),
    );

    // Act
    const again = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: STATE_MACHINE_ARN, name: 'job-dup', input: '{"mode":"hang"}' }),
    );
    const conflicting = sfn.send(
      new StartExecutionCommand({ stateMachineArn: STATE_MACHINE_ARN, name: 'job-dup', input: '{"mode":"other"}' }),
    );
    await sfn.send(new StopExecutionCommand({ executionArn: first.executionArn }));
    await finished(first.executionArn!);
    const afterClose = sfn.send(
      new StartExecutionCommand({ stateMachineArn: STATE_MACHINE_ARN, name: 'job-dup', input: '{"mode":"hang"}' }),
    );

    // Assess
    expect(again.executionArn).toBe(first.executionArn);
    await expect(conflicting).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    await expect(afterClose).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
  });

  it('stops a running execution: ABORTED with the given reason, and its Lambda worker is ended', async () => {
    // Prepare
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: STATE_MACHINE_ARN, name: 'job-stop', input: '{"mode":"hang"}' }),
    );
    await waitFor(() => runner.activeInvocations > 0, 'the hanging task starting');

    // Act
    const { stopDate } = await sfn.send(
      new StopExecutionCommand({ executionArn, error: 'UserStopped', cause: 'changed my mind' }),
    );
    const execution = await finished(executionArn!);
    const events = await history(executionArn!);

    // Assess
    expect(stopDate).toBeInstanceOf(Date);
    expect(execution).toMatchObject({ status: 'ABORTED', error: 'UserStopped', cause: 'changed my mind' });
    expect(events.at(-1)).toMatchObject({
      type: 'ExecutionAborted',
      executionAbortedEventDetails: { error: 'UserStopped', cause: 'changed my mind' },
    });
    expect(runner.activeInvocations).toBe(0);
  });

  it("times a task out at the state's TimeoutSeconds, which Catch can match as States.Timeout", async () => {
    // Act
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: STATE_MACHINE_ARN, name: 'job-slow', input: '{"mode":"slow"}' }),
    );
    const execution = await finished(executionArn!);
    const types = (await history(executionArn!)).map((event) => event.type);

    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    expect(types).toContain('LambdaFunctionTimedOut');
    expect(types).toContain('SucceedStateEntered');
    expect(runner.activeInvocations).toBe(0);
  });

  it('lists executions newest first, filters by status, and keeps them across a restart', async () => {
    // Prepare: an API of its own, so the list holds exactly these executions.
    const own = await startApi();
    const start = async (name: string, mode: string) => {
      // Distinct start times, so "newest first" has one answer.
      const before = Date.now();
      await waitFor(() => Date.now() > before, 'the clock moving on');
      return (
        await own.sfn.send(
          new StartExecutionCommand({ stateMachineArn: STATE_MACHINE_ARN, name, input: JSON.stringify({ mode }) }),
        )
      ).executionArn!;
    };
    try {
      const timedOut = await start('list-1', 'slow');
      const stopped = await start('list-2', 'hang');
      await own.sfn.send(new StopExecutionCommand({ executionArn: stopped }));
      const running = await start('list-3', 'hang');
      await finished(timedOut, own.sfn);
      await finished(stopped, own.sfn);

      // Act
      const all = await own.sfn.send(new ListExecutionsCommand({ stateMachineArn: STATE_MACHINE_ARN }));
      const aborted = await own.sfn.send(
        new ListExecutionsCommand({ stateMachineArn: STATE_MACHINE_ARN, statusFilter: 'ABORTED' }),
      );
      const paged = await own.sfn.send(
        new ListExecutionsCommand({ stateMachineArn: STATE_MACHINE_ARN, maxResults: 2 }),
      );
      const nextPage = await own.sfn.send(
        new ListExecutionsCommand({ stateMachineArn: STATE_MACHINE_ARN, maxResults: 2, nextToken: paged.nextToken }),
      );
      await own.sfn.send(new StopExecutionCommand({ executionArn: running }));
      await finished(running, own.sfn);
      const restarted = own.restartedEngine().listExecutions({ stateMachineArn: STATE_MACHINE_ARN });
      const missing = own.sfn.send(
        new DescribeExecutionCommand({
          executionArn: `${STATE_MACHINE_ARN.replace('stateMachine', 'execution')}:nope`,
        }),
      );

      // Assess
      expect(all.executions!.map((execution) => [execution.name, execution.status])).toEqual([
        ['list-3', 'RUNNING'],
        ['list-2', 'ABORTED'],
        ['list-1', 'SUCCEEDED'],
      ]);
      expect(aborted.executions!.map((execution) => execution.name)).toEqual(['list-2']);
      expect(paged.executions!.map((execution) => execution.name)).toEqual(['list-3', 'list-2']);
      expect(nextPage.executions!.map((execution) => execution.name)).toEqual(['list-1']);
      expect(nextPage.nextToken).toBeUndefined();
      expect(restarted.executions.map((execution) => [execution.name, execution.status])).toEqual([
        ['list-3', 'ABORTED'],
        ['list-2', 'ABORTED'],
        ['list-1', 'SUCCEEDED'],
      ]);
      await expect(missing).rejects.toBeInstanceOf(ExecutionDoesNotExist);
    } finally {
      await own.close();
    }
  });
});
