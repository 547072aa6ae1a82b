import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { faceApiRuntime, type DetectedFace, type DetectorSettings, type FaceApiRuntimeSetup } from './face-api-runtime';
import {
  createFaceApiEngine,
  detectorSettings,
  faceApiSetup,
  normalisedCrops,
  toSourcePixels,
  type FaceApiOptions,
  type LandmarkEngine,
} from './face-landmarks';

export interface WorkerEngineOptions extends FaceApiOptions {
  /** Worker threads, each with its own tfjs-wasm and face-api. Default: defaultWorkerCount(). */
  workers?: number;
}

export interface WorkerLandmarkEngine extends LandmarkEngine {
  readonly workers: number;
  /** False once a worker has died: the engine then refuses work and should be replaced. */
  readonly healthy: boolean;
  dispose(): Promise<void>;
}

type WorkerRequest =
  | { id: number; op: 'detect'; rgb: Uint8Array; width: number; height: number; detector: DetectorSettings }
  | { id: number; op: 'landmarks'; crops: Float32Array; count: number };

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

type WorkerReply =
  { ready: true } | { id: number; result: DetectedFace | null | Float32Array } | { id: number; error: string };

/**
 * A worker's whole program. SELF-CONTAINED like faceApiRuntime (its source text is what the
 * worker runs): reference only its parameter, locals and globals.
 */
async function serveFaceApiRuntime(createRuntime: typeof faceApiRuntime): Promise<void> {
  const { parentPort, workerData } = process.getBuiltinModule('node:worker_threads');
  if (!parentPort) throw new Error('serveFaceApiRuntime runs only in a worker thread');
  const runtime = await createRuntime(workerData as FaceApiRuntimeSetup);
  parentPort.on('message', async (request: WorkerRequest) => {
    try {
      if (request.op === 'detect') {
        const face = await runtime.detectFace(request.rgb, request.width, request.height, request.detector);
        parentPort.postMessage({ id: request.id, result: face });
      } else {
        // A copy of the output: tfjs may hand back a view it still owns.
        const points = Float32Array.from(await runtime.landmarks(request.crops, request.count));
        parentPort.postMessage({ id: request.id, result: points }, [points.buffer]);
      }
    } catch (error) {
      parentPort.postMessage({ id: request.id, error: error instanceof Error ? error.message : String(error) });
    }
  });
  parentPort.postMessage({ ready: true });
}

// esbuild with keepNames (tsx runs so) wraps functions in __name() calls: give the worker one.
const WORKER_SOURCE = [
  'const __name = (target) => target;',
  `(${serveFaceApiRuntime.toString()})(${faceApiRuntime.toString()});`,
].join('\n');

interface Pending {
  resolve(result: unknown): void;
  reject(error: Error): void;
}

/**
 * One worker thread and its requests. The thread is unref'd while idle, so an idle engine
 * never keeps the process alive, and ref'd while it owes an answer, so a process awaiting
 * one does not exit under it. (Listeners are attached once, up front: adding a 'message'
 * listener to a Worker refs it again.)
 */
class FaceApiWorker {
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failure: Error | null = null;
  private readonly started: Promise<void>;

  private constructor(private readonly worker: Worker) {
    let ready: () => void = () => undefined;
    let failedToStart: (error: Error) => void = () => undefined;
    this.started = new Promise<void>((resolve, reject) => {
      ready = resolve;
      failedToStart = (error) =>
        reject(
          new Error(
            `The face landmark worker did not start (${error.message}). Check that @vladmandic/face-api and @tensorflow/tfjs-backend-wasm are installed, or FACE_API_MODEL_DIR and TFJS_WASM_DIR.`,
          ),
        );
    });
    worker.on('message', (reply: WorkerReply) => {
      if ('ready' in reply) return ready();
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      if ('error' in reply) waiting.reject(new Error(`Face landmark worker: ${reply.error}`));
      else waiting.resolve(reply.result);
    });
    worker.on('error', (error) => {
      failedToStart(error);
      this.fail(error);
    });
    worker.on('exit', (code) => {
      const error = new Error(`The face landmark worker exited (code ${code}).`);
      failedToStart(error);
      this.fail(error);
    });
  }

  static async start(setup: FaceApiRuntimeSetup): Promise<FaceApiWorker> {
    // No loaders (tsx, jest's): the worker runs plain JavaScript.
    const worker = new FaceApiWorker(new Worker(WORKER_SOURCE, { eval: true, workerData: setup, execArgv: [] }));
    await worker.started;
    worker.worker.unref();
    return worker;
  }

  get healthy(): boolean {
    return this.failure === null;
  }

  get queued(): number {
    return this.pending.size;
  }

  request<T>(message: WithoutId<WorkerRequest>, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    if (this.pending.size === 0) this.worker.ref();
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (result: unknown) => void, reject });
      this.worker.postMessage({ ...message, id }, transfer);
    });
  }

  async terminate(): Promise<void> {
    this.fail(new Error('The face landmark engine was disposed.'));
    await this.worker.terminate();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiting of this.pending.values()) waiting.reject(this.failure);
    this.pending.clear();
    this.worker.unref();
  }
}

/**
 * face-api in worker threads: a batch's frames are cropped here and split across the
 * workers, so the landmark net runs on every core while this thread decodes and aligns.
 */
export async function createWorkerLandmarkEngine(options: WorkerEngineOptions = {}): Promise<WorkerLandmarkEngine> {
  const setup = faceApiSetup(options);
  const detector = detectorSettings(options);
  const count = Math.max(1, Math.floor(options.workers ?? defaultWorkerCount()) || 1);
  const started = await Promise.allSettled(Array.from({ length: count }, () => FaceApiWorker.start(setup)));
  const workers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failure = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failure) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw failure.reason;
  }
  const leastBusy = () => workers.reduce((best, w) => (w.queued < best.queued ? w : best));

  return {
    workers: count,
    get healthy() {
      return workers.every((w) => w.healthy);
    },

    detectFace(frame) {
      return leastBusy().request<DetectedFace | null>({
        op: 'detect',
        rgb: frame.data,
        width: frame.width,
        height: frame.height,
        detector,
      });
    },

    async landmarks(frames, boxes) {
      if (frames.length === 0) return [];
      const share = Math.ceil(frames.length / workers.length);
      const parts: Array<Promise<Float32Array>> = [];
      for (let from = 0, w = 0; from < frames.length; from += share, w++) {
        const to = Math.min(frames.length, from + share);
        const crops = normalisedCrops(frames.slice(from, to), boxes.slice(from, to));
        const worker = workers[w] as (typeof workers)[number];
        parts.push(worker.request<Float32Array>({ op: 'landmarks', crops, count: to - from }, [crops.buffer]));
      }
      const relative = await Promise.all(parts);
      return relative.flatMap((points, part) => toSourcePixels(points, boxes.slice(part * share, (part + 1) * share)));
    },

    async dispose() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

/** Worker threads when there are cores to spare: one per core, at most 4. */
export function defaultWorkerCount(cores = os.availableParallelism()): number {
  return cores > 1 ? Math.min(cores, 4) : 0;
}

let defaultEngine: { key: string; engine: Promise<LandmarkEngine & { readonly healthy?: boolean }> } | null = null;

/**
 * The engine preprocessVideo uses unless given one: started once per process and shared by
 * every video (worker threads when os.availableParallelism() > 1, else this thread). Idle
 * workers do not keep the process alive; `disposeDefaultLandmarkEngine` stops them. An
 * engine whose worker died is replaced on the next call.
 */
export async function defaultLandmarkEngine(options: FaceApiOptions = {}): Promise<LandmarkEngine> {
  const key = JSON.stringify({ ...faceApiSetup(options), ...detectorSettings(options) });
  const current = defaultEngine;
  if (current?.key === key) {
    const engine = await current.engine.catch(() => null);
    if (engine && engine.healthy !== false) return engine;
    // Another caller may have replaced it while this one waited.
    if (defaultEngine !== current) return defaultLandmarkEngine(options);
  }
  const workers = defaultWorkerCount();
  const engine = workers > 0 ? createWorkerLandmarkEngine({ ...options, workers }) : createFaceApiEngine(options);
  const entry = { key, engine };
  const stale = defaultEngine;
  defaultEngine = entry;
  engine.catch(() => {
    if (defaultEngine === entry) defaultEngine = null;
  });
  stale?.engine.then(
    (old) => old.dispose?.(),
    () => undefined,
  );
  return engine;
}

/** Stops the default engine's workers (a server shutting down, a test file ending). */
export async function disposeDefaultLandmarkEngine(): Promise<void> {
  const entry = defaultEngine;
  defaultEngine = null;
  if (!entry) return;
  const engine = await entry.engine.catch(() => null);
  await engine?.dispose?.();
}
