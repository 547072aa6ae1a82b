import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type * as Ort from 'onnxruntime-node';
import { ConfigurationError } from '../errors';

export type OnnxRuntime = typeof Ort;
export type OnnxSession = Ort.InferenceSession;

let runtime: Promise<OnnxRuntime> | undefined;

/**
 * onnxruntime-node, loaded on first use: its native library is large, and most invocations
 * of a function that carries it (extract without audio, say) never need it.
 */
export function onnxRuntime(): Promise<OnnxRuntime> {
  runtime ??= import('onnxruntime-node').then(
    (loaded: OnnxRuntime & { default?: OnnxRuntime }) => loaded.default ?? loaded,
  );
  return runtime;
}

export interface SessionOptions {
  /** Threads for one operator; defaults to the cores this process may use. */
  threads?: number;
}

/** A CPU inference session over one model file, with every graph optimisation on. */
export async function openSession(modelPath: string, options: SessionOptions = {}): Promise<OnnxSession> {
  if (!existsSync(modelPath)) {
    throw new ConfigurationError(`The model file ${modelPath} is missing; the function's package is incomplete.`);
  }
  const ort = await onnxRuntime();
  return ort.InferenceSession.create(modelPath, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: options.threads ?? availableParallelism(),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    logSeverityLevel: 3,
    // Idle threads sleep rather than spin: beside other work on the same cores (the local stack
    // runs every function on one machine) spinning starves it, and a model run lasts far longer
    // than the wake-up it saves.
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  });
}
