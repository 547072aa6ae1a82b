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
  onMessage(listener: (message: unknown) => void): void;
  /** A failure of the environment itself; `code` is Node's (e.g. ERR_WORKER_OUT_OF_MEMORY). */
  onError(listener: (error: Error & { code?: string }) => void): void;
  onExit(listener: (code: number) => void): void;
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
    onMessage: (listener) => worker.on('message', listener),
    onError: (listener) => worker.on('error', listener),
    onExit: (listener) => worker.on('exit', listener),
    terminate: async () => void (await worker.terminate()),
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
  return {
    kind: 'process',
    stdout,
    stderr,
    postMessage: (message) => child.send(message as object),
    onMessage: (listener) => child.on('message', listener),
    onError: (listener) => child.on('error', listener),
    // A killed process has no exit code: report it as the shell does (128 + signal).
    onExit: (listener) =>
      child.on('exit', (code, signal) => listener(code ?? 128 + (signal ? constants.signals[signal] : 0))),
    terminate: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
