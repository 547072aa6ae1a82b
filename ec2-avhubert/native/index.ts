/**
 * Typed Promise API over the thin libtorch addon (native/src). All validation happens here;
 * the addon only converts tensors and runs TorchScript on a libuv worker thread.
 */
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type Device = 'cpu' | 'cuda' | `cuda:${number}`;
export type Tensor =
  { dtype: 'float32'; data: Float32Array; shape: number[] } | { dtype: 'int64'; data: BigInt64Array; shape: number[] };

export interface DeviceInfo {
  cudaAvailable: boolean;
  deviceCount: number;
  /** 'cpu', or the CUDA device name. */
  name: string;
  /** CUDA builds only: device memory, and the bytes in use on it (all processes). */
  memoryTotalBytes?: number;
  memoryAllocatedBytes?: number;
  /** libtorch intra-op threads (AVHUBERT_TORCH_THREADS, default: every core). */
  numThreads: number;
  torchVersion: string;
  builtWithCuda: boolean;
}

export interface MethodArgument {
  name: string;
  /** TorchScript type, e.g. 'Tensor', 'Optional[Tensor]', 'int'. */
  type: string;
  /** Has a default or is Optional: may be left out of `run` inputs. */
  optional: boolean;
}

export interface TorchModule {
  readonly device: Device;
  methods(): string[];
  /** The method's arguments after `self`: the names `run` takes. */
  signature(method: string): MethodArgument[];
  run(method: string, inputs: Record<string, Tensor>): Promise<Tensor[]>;
  dispose(): void;
}

/** The addon is not built or cannot be loaded. */
export class AddonUnavailableError extends Error {
  override readonly name = 'AddonUnavailableError';
}

/** A caller passed something the model cannot take (checked before reaching libtorch). */
export class TorchInputError extends Error {
  override readonly name = 'TorchInputError';
}

/** libtorch failed; the message is libtorch's own. */
export class TorchRuntimeError extends Error {
  override readonly name = 'TorchRuntimeError';
}

type Callback<T> = (error: Error | null, result: T) => void;
interface NativeTensor {
  dtype: 'float32' | 'int64';
  buffer: ArrayBuffer;
  shape: number[];
}
interface NativeInput {
  name: string;
  dtype: 'float32' | 'int64';
  data: Float32Array | BigInt64Array;
  shape: number[];
}
interface NativeModule {
  readonly device: string;
  methods(): Array<{ name: string; args: MethodArgument[] }>;
  run(method: string, inputs: NativeInput[], callback: Callback<NativeTensor[]>): void;
  dispose(): void;
}
interface NativeAddon {
  load(filePath: string, device: string, callback: Callback<NativeModule>): void;
  deviceInfo(callback: Callback<Omit<DeviceInfo, 'torchVersion' | 'builtWithCuda'>>): void;
  torchVersion: string;
  withCuda: boolean;
}

const ADDON_FILE = 'gorggle_torch.node';
const DEVICE_PATTERN = /^(cpu|cuda|cuda:\d+)$/;

/** Where the addon may be: AVHUBERT_ADDON_PATH, the node-gyp output, or beside a bundle. */
export function addonCandidates(): string[] {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return [
    process.env.AVHUBERT_ADDON_PATH,
    path.join(here, 'build', 'Release', ADDON_FILE),
    path.join(here, ADDON_FILE),
    path.join(here, 'native', 'build', 'Release', ADDON_FILE),
  ].filter((candidate): candidate is string => Boolean(candidate));
}

let addon: NativeAddon | undefined;

function loadAddon(): NativeAddon {
  if (addon) return addon;
  const candidates = addonCandidates();
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found) {
    throw new AddonUnavailableError(
      `The libtorch addon is not built (looked for ${candidates.join(', ')}). ` +
        'Run `make native models` in the repository root (needs libtorch: `make setup`, or LIBTORCH_DIR).',
    );
  }
  try {
    addon = createRequire(import.meta.url)(found) as NativeAddon;
  } catch (error) {
    throw new AddonUnavailableError(
      `The libtorch addon at ${found} cannot be loaded: ${(error as Error).message}. ` +
        'Rebuild it with `make native` against the libtorch installed on this machine.',
    );
  }
  return addon;
}

function promisify<T>(start: (callback: Callback<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    start((error, result) => (error ? reject(new TorchRuntimeError(error.message)) : resolve(result)));
  });
}

export async function deviceInfo(): Promise<DeviceInfo> {
  const native = loadAddon();
  const info = await promisify(native.deviceInfo.bind(native));
  return { ...info, torchVersion: native.torchVersion, builtWithCuda: native.withCuda };
}

export async function loadModule(filePath: string, device: Device = 'cpu'): Promise<TorchModule> {
  if (!DEVICE_PATTERN.test(device)) {
    throw new TorchInputError(`Unknown device "${device}": use 'cpu', 'cuda' or 'cuda:<index>'.`);
  }
  if (!existsSync(filePath) || !statSync(filePath).isFile()) {
    throw new TorchInputError(`TorchScript file ${filePath} does not exist.`);
  }
  const native = loadAddon();
  const module = await promisify<NativeModule>((callback) => native.load(path.resolve(filePath), device, callback));
  return new LoadedModule(module, device, filePath);
}

function elementCount(shape: number[]): number {
  return shape.reduce((count, size) => count * size, 1);
}

function toNativeInput(method: string, name: string, tensor: Tensor): NativeInput {
  const where = `${method}(${name})`;
  if (!Array.isArray(tensor.shape) || !tensor.shape.every((size) => Number.isInteger(size) && size >= 0)) {
    throw new TorchInputError(
      `${where}: shape must be a list of non-negative integers, got ${JSON.stringify(tensor.shape)}.`,
    );
  }
  const typedArray = tensor.dtype === 'float32' ? Float32Array : tensor.dtype === 'int64' ? BigInt64Array : undefined;
  if (!typedArray) {
    throw new TorchInputError(`${where}: dtype must be 'float32' or 'int64', got ${String((tensor as Tensor).dtype)}.`);
  }
  if (!(tensor.data instanceof typedArray)) {
    throw new TorchInputError(`${where}: a ${tensor.dtype} tensor needs its data in a ${typedArray.name}.`);
  }
  const expected = elementCount(tensor.shape);
  if (tensor.data.length !== expected) {
    throw new TorchInputError(
      `${where}: shape [${tensor.shape.join(', ')}] needs ${expected} elements but the data has ${tensor.data.length}.`,
    );
  }
  return { name, dtype: tensor.dtype, data: tensor.data, shape: tensor.shape };
}

function fromNative(output: NativeTensor): Tensor {
  // Views are made here, in this realm, so `instanceof Float32Array` holds for callers.
  return output.dtype === 'float32'
    ? { dtype: 'float32', data: new Float32Array(output.buffer), shape: [...output.shape] }
    : { dtype: 'int64', data: new BigInt64Array(output.buffer), shape: [...output.shape] };
}

class LoadedModule implements TorchModule {
  readonly #native: NativeModule;
  readonly #signatures: Map<string, MethodArgument[]>;
  #disposed = false;

  constructor(
    native: NativeModule,
    readonly device: Device,
    private readonly filePath: string,
  ) {
    this.#native = native;
    this.#signatures = new Map(native.methods().map((method) => [method.name, method.args]));
  }

  methods(): string[] {
    return [...this.#signatures.keys()];
  }

  signature(method: string): MethodArgument[] {
    const args = this.#signatures.get(method);
    if (!args) {
      throw new TorchInputError(`${this.filePath} has no method "${method}" (it has: ${this.methods().join(', ')}).`);
    }
    return args.map((arg) => ({ ...arg }));
  }

  run(method: string, inputs: Record<string, Tensor>): Promise<Tensor[]> {
    if (this.#disposed) return Promise.reject(new TorchInputError(`${this.filePath} was disposed; load it again.`));
    let nativeInputs: NativeInput[];
    try {
      const args = this.signature(method);
      const known = new Set(args.map((arg) => arg.name));
      const unknown = Object.keys(inputs).filter((name) => !known.has(name));
      if (unknown.length > 0) {
        throw new TorchInputError(
          `${method}() of ${this.filePath} takes (${[...known].join(', ')}); unknown input(s): ${unknown.join(', ')}.`,
        );
      }
      const missing = args.filter((arg) => !arg.optional && !(arg.name in inputs)).map((arg) => arg.name);
      if (missing.length > 0) {
        throw new TorchInputError(`${method}() of ${this.filePath} needs input(s): ${missing.join(', ')}.`);
      }
      nativeInputs = Object.entries(inputs).map(([name, tensor]) => toNativeInput(method, name, tensor));
    } catch (error) {
      return Promise.reject(error);
    }
    return promisify<NativeTensor[]>((callback) => this.#native.run(method, nativeInputs, callback)).then((outputs) =>
      outputs.map(fromNative),
    );
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#native.dispose();
  }
}
