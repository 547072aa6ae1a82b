/**
 * Where a local function runs: a worker thread, or a child process for functions whose zip
 * ships native packages (node_modules/, e.g. onnxruntime-node). Stopping a worker thread in
 * the middle of a native call aborts the whole stack's process; killing a child process is
 * safe. Both answer to the same few calls, so the runner treats them alike.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { WORKER_SOURCE } from './worker-source';

export interface ExecutionEnvironment {
  readonly kind: 'thread' | 'process';
  readonly stdout: Readable;
  readonly stderr: Readable;
  postMessage(message: unknown): void;
  /** Each on* returns what removes the listener: a warm environment serves one invocation after another. */
  onMessage(listener: (message: unknown) => void): () => void;
  /** A failure of the environment itself; `code` is Node's (e.g. ERR_WORKER_OUT_OF_MEMORY). */
  onError(listener: (error: Error & { code?: string }) => void): () => void;
  onExit(listener: (code: number) => void): () => void;
  /** An idle (warm) environment does not keep the stack's process alive. */
  setIdle(idle: boolean): void;
  terminate(): Promise<void>;
}

export interface EnvironmentSpec {
  taskRoot: string;
  env: Record<string, string>;
  memoryMb: number;
  handlerName: string;
}

/** Zips that carry node_modules/ hold native code (scripts/build/functions.ts, EXTERNAL_PACKAGES). */
export const shipsNativePackages = (taskRoot: string): boolean => existsSync(path.join(taskRoot, 'node_modules'));

/** Adds a listener and returns what removes it. */
function listen<A extends unknown[]>(
  emitter: {
    on(event: string, listener: (...args: A) => void): unknown;
    off(event: string, listener: (...args: A) => void): unknown;
  },
  event: string,
  listener: (...args: A) => void,
): () => void {
  emitter.on(event, listener);
  return () => void emitter.off(event, listener);
}

export function startEnvironment(spec: EnvironmentSpec): ExecutionEnvironment {
  const handlerFile = path.join(spec.taskRoot, 'index.mjs');
  if (shipsNativePackages(spec.taskRoot)) return startProcess(spec, handlerFile);
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    env: spec.env,
    stdout: true,
    stderr: true,
    resourceLimits: { maxOldGenerationSizeMb: spec.memoryMb },
    workerData: { handlerFile, handlerName: spec.handlerName },
  });
  return {
    kind: 'thread',
    stdout: worker.stdout,
    stderr: worker.stderr,
    postMessage: (message) => worker.postMessage(message),
    onMessage: (listener) => listen(worker, 'message', listener),
    onError: (listener) => listen(worker, 'error', listener),
    onExit: (listener) => listen(worker, 'exit', listener),
    setIdle: (idle) => (idle ? worker.unref() : worker.ref()),
    terminate: async () => {
      // An idle (unref'd) worker would let the process end before its own exit is seen.
      worker.ref();
      await worker.terminate();
    },
  };
}

function startProcess(spec: EnvironmentSpec, handlerFile: string): ExecutionEnvironment {
  const child = spawn(
    process.execPath,
    [`--max-old-space-size=${spec.memoryMb}`, '-e', WORKER_SOURCE, handlerFile, spec.handlerName],
    { env: spec.env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'advanced' },
  );
  const { stdout, stderr } = child;
  if (!stdout || !stderr) throw new Error('A function process started without its output pipes.');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const setIdle = (idle: boolean) => {
    // The IPC channel and the output pipes hold the event loop as much as the process does.
    const handles = [child, child.channel, stdout, stderr] as Array<
      { ref?(): void; unref?(): void } | null | undefined
    >;
    for (const handle of handles) (idle ? handle?.unref : handle?.ref)?.call(handle);
  };
  return {
    kind: 'process',
    stdout,
    stderr,
    postMessage: (message) => child.send(message as object),
    onMessage: (listener) => listen(child, 'message', listener),
    onError: (listener) => listen(child, 'error', listener),
    // A killed process has no exit code: report it as the shell does (128 + signal).
    onExit: (listener) =>
      listen(child, 'exit', (code: number | null, signal: NodeJS.Signals | null) =>
        listener(code ?? 128 + (signal ? constants.signals[signal] : 0)),
      ),
    setIdle,
    terminate: async () => {
      // An idle (unref'd) process would let the stack's process end before this exit is seen.
      setIdle(false);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
