/**
 * Stopping a function in the middle of a native call (onnxruntime-node, as extract's voice
 * activity and the active-speaker step run) must end that invocation only: terminating a worker
 * thread there aborts the whole process, so zips with native packages run in child processes.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeDeterministicZip } from '../../scripts/build/deterministic-zip';
import { LambdaRunner, type FunctionDefinition } from '../../scripts/local-stack/lambda/runner';
import { locateModel } from '../../scripts/models/weights';

// Runs Silero VAD on a large batch without end: nearly all its time is inside onnxruntime.
const INFER_FOREVER = `import { createRequire } from 'node:module';
const ort = createRequire(import.meta.url)(process.env.ORT_MODULE);
export const handler = async () => {
  const session = await ort.InferenceSession.create(process.env.MODEL, { intraOpNumThreads: 1 });
  const batch = 512;
  const sr = new ort.Tensor('int64', BigInt64Array.of(16000n), []);
  const state = new ort.Tensor('float32', new Float32Array(2 * batch * 128), [2, batch, 128]);
  const input = new ort.Tensor('float32', new Float32Array(batch * 576).fill(0.1), [batch, 576]);
  for (;;) await session.run({ input, state, sr });
};`;
const WHERE_AM_I = `import { isMainThread } from 'node:worker_threads';
export const handler = async () => ({ pid: process.pid, isMainThread });`;

describe('functions that ship native packages', () => {
  let workDir: string;
  let runner: LambdaRunner;

  beforeAll(async () => {
    workDir = mkdtempSync(path.join(tmpdir(), 'gorggle-native-fn-'));
    const model = await locateModel('silero-vad');
    const ortModule = createRequire(import.meta.url).resolve('onnxruntime-node');
    const functionsDir = path.join(workDir, 'functions');
    mkdirSync(functionsDir);
    const marker = path.join(workDir, 'package.json');
    writeFileSync(marker, '{}');
    for (const [name, code] of Object.entries({ infer: INFER_FOREVER, where: WHERE_AM_I, plain: WHERE_AM_I })) {
      const source = path.join(workDir, `${name}.mjs`);
      writeFileSync(source, code);
      await writeDeterministicZip(path.join(functionsDir, `${name}.zip`), [
        { zipPath: 'index.mjs', source, mode: 0o644 },
        ...(name === 'plain'
          ? []
          : [{ zipPath: 'node_modules/native-package/package.json', source: marker, mode: 0o644 }]),
      ]);
    }
    const lookup = (name: string): FunctionDefinition => ({
      name,
      qualifiedName: `test-${name}`,
      arn: `arn:aws:lambda:us-east-1:000000000000:function:test-${name}`,
      timeoutSeconds: 120,
      memoryMb: 512,
      environment: (taskRoot) => ({ LAMBDA_TASK_ROOT: taskRoot, ORT_MODULE: ortModule, MODEL: model }),
    });
    runner = new LambdaRunner({
      functionsDir,
      unpackDir: path.join(workDir, 'unpacked'),
      logDir: path.join(workDir, 'logs'),
      lookup,
    });
  });

  afterAll(async () => {
    await runner?.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('run in a process of their own; other functions in a worker thread', async () => {
    // Act
    const [native, plain] = await Promise.all([runner.invokeOrThrow('where', {}), runner.invokeOrThrow('plain', {})]);

    // Assess
    expect(native).toMatchObject({ isMainThread: true });
    expect((native as { pid: number }).pid).not.toBe(process.pid);
    expect(plain).toEqual({ pid: process.pid, isMainThread: false });
  });

  it('keep a finished process warm for the next invocation, and replace one that died while idle', async () => {
    // Act
    const first = (await runner.invokeOrThrow('where', {})) as { pid: number };
    const second = (await runner.invokeOrThrow('where', {})) as { pid: number };
    process.kill(second.pid, 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 500));
    const third = (await runner.invokeOrThrow('where', {})) as { pid: number };

    // Assess
    expect(second.pid).toBe(first.pid);
    expect(third.pid).not.toBe(second.pid);
  });

  it('stop in the middle of inference without taking the stack down, again and again', async () => {
    for (let round = 0; round < 3; round++) {
      // Arrange: let the model load and run a while.
      const stop = new AbortController();
      const running = runner.invoke('infer', {}, { signal: stop.signal });
      await new Promise((resolve) => setTimeout(resolve, 2500 + round * 300));

      // Act
      stop.abort();
      const result = await running;

      // Assess: this process is still here, and the runner still serves.
      expect(result).toMatchObject({ ok: false, error: { errorType: 'Runtime.Aborted' } });
      await expect(runner.invokeOrThrow('where', {})).resolves.toMatchObject({ isMainThread: true });
    }
  }, 120_000);
});
