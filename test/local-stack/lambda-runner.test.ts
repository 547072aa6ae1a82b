import { chmodSync, existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { writeDeterministicZip } from '../../scripts/build/deterministic-zip';
import { LambdaFunctionError, LambdaRunner } from '../../scripts/local-stack/lambda/runner';
import { buildTestFunctions, type TestFunctions } from './support/function-zips';

describe('local Lambda runner', () => {
  let functions: TestFunctions;
  let runner: LambdaRunner;

  beforeAll(async () => {
    functions = await buildTestFunctions({
      timeoutSeconds: { hang: 1 },
      env: { echo: { MARKER: 'from-echo' }, fail: { MARKER: 'from-fail' } },
    });
  });

  beforeEach(() => {
    runner = new LambdaRunner({
      functionsDir: functions.functionsDir,
      unpackDir: path.join(functions.workDir, 'unpacked'),
      logDir: path.join(functions.workDir, 'logs'),
      lookup: functions.lookup,
    });
  });

  afterEach(() => runner.close());
  afterAll(() => rmSync(functions.workDir, { recursive: true, force: true }));

  it('gives each invocation only its own function environment and a Lambda-like context', async () => {
    // Prepare
    process.env.SHARED = 'the stack process env must not leak';
    const otherRunner = new LambdaRunner({
      functionsDir: functions.functionsDir,
      unpackDir: path.join(functions.workDir, 'unpacked-2'),
      logDir: path.join(functions.workDir, 'logs'),
      lookup: (name) => {
        const fn = functions.lookup(name)!;
        return { ...fn, environment: (root) => ({ ...fn.environment(root), MARKER: 'second-worker' }) };
      },
    });

    // Act
    const [first, second] = await Promise.all([runner.invoke('echo', { n: 1 }), otherRunner.invoke('echo', { n: 2 })]);
    delete process.env.SHARED;
    await otherRunner.close();

    // Assess
    expect(first).toMatchObject({
      ok: true,
      payload: {
        event: { n: 1 },
        env: { MARKER: 'from-echo', SHARED: null, HOME: null },
        functionName: 'test-echo',
        requestId: first.requestId,
      },
    });
    expect(second).toMatchObject({ ok: true, payload: { event: { n: 2 }, env: { MARKER: 'second-worker' } } });
    const remainingMs = (first as { payload: { remainingMs: number } }).payload.remainingMs;
    expect(remainingMs).toBeGreaterThan(5000);
    expect(remainingMs).toBeLessThanOrEqual(10_000);
    expect(process.env.MARKER).toBeUndefined();
  });

  it("reports a thrown error in Lambda's shape, named after the error class", async () => {
    // Act
    const result = await runner.invoke('fail', { key: 'x.txt' });

    // Assess
    expect(result.ok).toBe(false);
    const error = (result as { error: { errorType: string; errorMessage: string; trace: string[] } }).error;
    expect(error.errorType).toBe('UploadRejectedError');
    expect(error.errorMessage).toBe('rejected {"key":"x.txt"}');
    expect(error.trace[0]).toContain('UploadRejectedError');
    await expect(runner.invokeOrThrow('fail', {})).rejects.toMatchObject({
      name: 'UploadRejectedError',
      payload: { errorType: 'UploadRejectedError' },
    });
    await expect(runner.invokeOrThrow('fail', {})).rejects.toBeInstanceOf(LambdaFunctionError);
  });

  it('ends an invocation at the function timeout with Sandbox.Timedout and frees the worker', async () => {
    // Act: 'hang' never returns, so only the runner's timeout can end this.
    const result = await runner.invoke('hang', {});

    // Assess
    expect(result).toMatchObject({
      ok: false,
      error: {
        errorType: 'Sandbox.Timedout',
        errorMessage: expect.stringMatching(/Task timed out after 1\.00 seconds$/),
      },
    });
    expect(runner.activeInvocations).toBe(0);
  });

  it('keeps a finished environment warm for the next invocation, and throws away one that was stopped', async () => {
    // Act
    const first = await runner.invoke('count', {});
    const second = await runner.invoke('count', {});
    const stopped = await runner.invoke('count', { hang: true }, { signal: AbortSignal.timeout(300) });
    const afterStop = await runner.invoke('count', {});
    // Each holds its environment a while: without that, on a busy machine the first could finish
    // and hand its warm environment to the second before it starts.
    const [concurrentA, concurrentB] = await Promise.all([
      runner.invoke('count', { holdMs: 1500 }),
      runner.invoke('count', { holdMs: 1500 }),
    ]);

    // Assess: module state lives on in a warm environment, as on Lambda; a stopped one is not reused.
    expect(first).toMatchObject({ ok: true, payload: { invocations: 1 } });
    expect(second).toMatchObject({ ok: true, payload: { invocations: 2 } });
    expect(stopped).toMatchObject({ ok: false, error: { errorType: 'Runtime.Aborted' } });
    expect(afterStop).toMatchObject({ ok: true, payload: { invocations: 1 } });
    // Two at once need two environments: the warm one and a new one.
    const counts = [concurrentA, concurrentB].map((result) => (result as { payload: { invocations: number } }).payload);
    expect(counts.map((payload) => payload.invocations).sort()).toEqual([1, 2]);
  });

  it('starts a fresh environment for every invocation when warmMs is 0', async () => {
    // Prepare
    const coldRunner = new LambdaRunner({
      functionsDir: functions.functionsDir,
      unpackDir: path.join(functions.workDir, 'unpacked-cold'),
      logDir: path.join(functions.workDir, 'logs'),
      lookup: functions.lookup,
      warmMs: 0,
    });

    // Act
    const results = [await coldRunner.invoke('count', {}), await coldRunner.invoke('count', {})];
    await coldRunner.close();

    // Assess
    expect(results).toMatchObject([
      { ok: true, payload: { invocations: 1 } },
      { ok: true, payload: { invocations: 1 } },
    ]);
  });

  it('stops a running invocation when its caller aborts', async () => {
    // Prepare
    const controller = new AbortController();

    // Act
    const pending = runner.invoke('hang', {}, { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    const result = await pending;

    // Assess
    expect(result).toMatchObject({ ok: false, error: { errorType: 'Runtime.Aborted' } });
    expect(runner.activeInvocations).toBe(0);
  });

  it('keeps the executable bit of zipped files and unpacks again when the zip changes', async () => {
    // Act
    const first = await runner.invoke('mode', {});
    const firstDir = await runner.prepare('mode');
    const source = path.join(functions.workDir, 'sources', 'mode-v2.mjs');
    writeFileSync(source, 'export const handler = async () => ({ version: 2 });');
    chmodSync(source, 0o644);
    await writeDeterministicZip(path.join(functions.functionsDir, 'mode.zip'), [
      { zipPath: 'index.mjs', source, mode: 0o644 },
    ]);
    const second = await runner.invoke('mode', {});

    // Assess
    expect(first).toMatchObject({ ok: true, payload: { mode: 0o755 } });
    expect(second).toMatchObject({ ok: true, payload: { version: 2 } });
    expect(await runner.prepare('mode')).not.toBe(firstDir);
    expect(existsSync(firstDir)).toBe(false);
    expect(statSync(path.join(await runner.prepare('echo'), 'index.mjs')).isFile()).toBe(true);
  });

  it('says how to fix a missing zip', async () => {
    // Act
    const missing = runner.missingZips(['echo', 'absent']);
    const preparing = runner.prepare('absent');

    // Assess
    expect(missing).toEqual(['absent']);
    await expect(preparing).rejects.toThrow(
      `There is no ${path.join(functions.functionsDir, 'absent.zip')}; run \`make build\` to bundle the functions first.`,
    );
  });
});
