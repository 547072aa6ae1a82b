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
/** The precision of a module's weights and activations; float inputs are converted to it. */
export type ModuleDtype = 'float32' | 'float16' | 'bfloat16';

/**
 * A tensor that stays where a run left it (on the GPU under CUDA): an opaque handle that a
 * later run takes as an input. Its data never crosses to the host. dispose() frees it at
 * once (device memory should not wait for the garbage collector); a disposed handle is refused.
 */
export interface DeviceTensor {
  readonly shape: number[];
  readonly dtype: string;
  readonly device: string;
  readonly disposed: boolean;
  dispose(): void;
}

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

export type RunInput = Tensor | DeviceTensor;

export interface TorchModule {
  readonly device: Device;
  readonly dtype: ModuleDtype;
  methods(): string[];
  /** The method's arguments after `self`: the names `run` takes. */
  signature(method: string): MethodArgument[];
  /** Every output comes back to the host as float32 or int64. */
  run(method: string, inputs: Record<string, RunInput>): Promise<Tensor[]>;
  /** Outputs whose index is in `keep` stay on the device as DeviceTensors; the rest come back. */
  runKeeping(method: string, inputs: Record<string, RunInput>, keep: readonly number[]): Promise<RunOutput[]>;
  dispose(): void;
}

export type RunOutput = Tensor | DeviceTensor;

/** Narrows a runKeeping output. */
export function isDeviceTensor(value: RunOutput | undefined): value is DeviceTensor {
  return value !== undefined && !('data' in value);
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
type NativeInput =
  | { name: string; dtype: 'float32' | 'int64'; data: Float32Array | BigInt64Array; shape: number[] }
  | { name: string; handle: DeviceTensor };
interface NativeModule {
  readonly device: string;
  readonly dtype: ModuleDtype;
  methods(): Array<{ name: string; args: MethodArgument[] }>;
  run(
    method: string,
    inputs: NativeInput[],
    keep: readonly number[],
    callback: Callback<Array<NativeTensor | DeviceTensor>>,
  ): void;
  dispose(): void;
}
interface NativeFaceLandmarker {
  detect(rgb: Uint8Array, width: number, height: number, upsample: number, callback: Callback<Float64Array>): void;
  landmarks(
    frames: Uint8Array[],
    width: number,
    height: number,
    boxes: Float64Array,
    callback: Callback<Float32Array>,
  ): void;
}
interface NativeAddon {
  load(filePath: string, device: string, dtype: ModuleDtype, callback: Callback<NativeModule>): void;
  loadFaceLandmarker(filePath: string, callback: Callback<NativeFaceLandmarker>): void;
  DeviceTensor: abstract new () => DeviceTensor;
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

const DTYPES: readonly ModuleDtype[] = ['float32', 'float16', 'bfloat16'];

/**
 * Loads a TorchScript file onto `device`. `dtype` 'float16' (CUDA) or 'bfloat16' converts the
 * weights; the CPU libtorch (1.13 on Debian) has no float16 matrix kernels, so float16 is for CUDA.
 */
export async function loadModule(
  filePath: string,
  device: Device = 'cpu',
  options: { dtype?: ModuleDtype } = {},
): Promise<TorchModule> {
  if (!DEVICE_PATTERN.test(device)) {
    throw new TorchInputError(`Unknown device "${device}": use 'cpu', 'cuda' or 'cuda:<index>'.`);
  }
  const dtype = options.dtype ?? 'float32';
  if (!DTYPES.includes(dtype)) {
    throw new TorchInputError(`Unknown dtype "${String(dtype)}": use ${DTYPES.map((d) => `'${d}'`).join(', ')}.`);
  }
  if (!existsSync(filePath) || !statSync(filePath).isFile()) {
    throw new TorchInputError(`TorchScript file ${filePath} does not exist.`);
  }
  const native = loadAddon();
  const module = await promisify<NativeModule>((callback) =>
    native.load(path.resolve(filePath), device, dtype, callback),
  );
  return new LoadedModule(module, device, filePath, native);
}

function elementCount(shape: number[]): number {
  return shape.reduce((count, size) => count * size, 1);
}

function toNativeInput(method: string, name: string, tensor: RunInput, addon: NativeAddon): NativeInput {
  const where = `${method}(${name})`;
  if (tensor instanceof addon.DeviceTensor) {
    if (tensor.disposed) throw new TorchInputError(`${where}: the DeviceTensor was disposed.`);
    return { name, handle: tensor };
  }
  if (!('data' in tensor)) throw new TorchInputError(`${where}: expected a tensor or a DeviceTensor of this addon.`);
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

function fromNative(output: NativeTensor | DeviceTensor): RunOutput {
  if (!('buffer' in output)) return output;
  // Views are made here, in this realm, so `instanceof Float32Array` holds for callers.
  return output.dtype === 'float32'
    ? { dtype: 'float32', data: new Float32Array(output.buffer), shape: [...output.shape] }
    : { dtype: 'int64', data: new BigInt64Array(output.buffer), shape: [...output.shape] };
}

class LoadedModule implements TorchModule {
  readonly #native: NativeModule;
  readonly #signatures: Map<string, MethodArgument[]>;
  #disposed = false;

  readonly #addon: NativeAddon;

  constructor(
    native: NativeModule,
    readonly device: Device,
    private readonly filePath: string,
    addon: NativeAddon,
  ) {
    this.#native = native;
    this.#addon = addon;
    this.#signatures = new Map(native.methods().map((method) => [method.name, method.args]));
  }

  get dtype(): ModuleDtype {
    return this.#native.dtype;
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

  run(method: string, inputs: Record<string, RunInput>): Promise<Tensor[]> {
    return this.runKeeping(method, inputs, []) as Promise<Tensor[]>;
  }

  runKeeping(method: string, inputs: Record<string, RunInput>, keep: readonly number[]): Promise<RunOutput[]> {
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
      nativeInputs = Object.entries(inputs).map(([name, tensor]) => toNativeInput(method, name, tensor, this.#addon));
      if (!keep.every((index) => Number.isInteger(index) && index >= 0)) {
        throw new TorchInputError(`${method}(): keep must list output indices, got ${JSON.stringify(keep)}.`);
      }
    } catch (error) {
      return Promise.reject(error);
    }
    return promisify<Array<NativeTensor | DeviceTensor>>((callback) =>
      this.#native.run(method, nativeInputs, keep, callback),
    ).then((outputs) => outputs.map(fromNative));
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#native.dispose();
  }
}

/** Where Debian's and Ubuntu's libdlib-data put dlib's 68-point model. */
export const DLIB_SHAPE_PREDICTOR = '/usr/share/dlib/shape_predictor_68_face_landmarks.dat';

/** A face dlib's HOG detector found, in source pixels; the boxes are square. */
export interface DlibFace {
  left: number;
  top: number;
  width: number;
  height: number;
  /** The detector's confidence (its SVM margin; > 0 is a face). */
  score: number;
}

/** An RGB24 frame, row-major. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** dlib's frontal face detector (HOG) and 68-point shape predictor; runs on libuv's thread pool. */
export interface FaceLandmarker {
  /** Every face, most confident first. `upsample` doubles the image that many times (finds smaller faces, 4x slower each). */
  detect(frame: RgbImage, upsample?: number): Promise<DlibFace[]>;
  /** 68 points (x, y interleaved, source pixels) for each frame within its box; frames share one size. */
  landmarks(
    frames: readonly RgbImage[],
    boxes: ReadonlyArray<{ left: number; top: number; right: number; bottom: number }>,
  ): Promise<Float32Array[]>;
}

function checkFrame(frame: RgbImage, what: string): void {
  if (!(frame.data instanceof Uint8Array) || frame.data.length !== frame.width * frame.height * 3) {
    throw new TorchInputError(
      `${what}: an RGB24 frame of ${frame.width}x${frame.height} needs ${frame.width * frame.height * 3} bytes.`,
    );
  }
}

export async function loadFaceLandmarker(shapePredictor = DLIB_SHAPE_PREDICTOR): Promise<FaceLandmarker> {
  if (!existsSync(shapePredictor)) {
    throw new TorchInputError(
      `dlib's 68-point model ${shapePredictor} is missing: install libdlib-data (make setup; on Ubuntu apt-get install libdlib-data).`,
    );
  }
  const native = loadAddon();
  const landmarker = await promisify<NativeFaceLandmarker>((callback) =>
    native.loadFaceLandmarker(path.resolve(shapePredictor), callback),
  );
  return {
    async detect(frame, upsample = 0) {
      checkFrame(frame, 'detect');
      const flat = await promisify<Float64Array>((callback) =>
        landmarker.detect(frame.data, frame.width, frame.height, upsample, callback),
      );
      const faces: DlibFace[] = [];
      for (let i = 0; i + 4 < flat.length; i += 5) {
        const [left = 0, top = 0, width = 0, height = 0, score = 0] = flat.subarray(i, i + 5);
        faces.push({ left, top, width, height, score });
      }
      return faces.sort((a, b) => b.score - a.score);
    },
    async landmarks(frames, boxes) {
      if (frames.length !== boxes.length) throw new TorchInputError('landmarks: one box per frame.');
      if (frames.length === 0) return [];
      const { width, height } = frames[0] ?? { width: 0, height: 0 };
      for (const frame of frames) {
        checkFrame(frame, 'landmarks');
        if (frame.width !== width || frame.height !== height)
          throw new TorchInputError('landmarks: frames must share one size.');
      }
      const flat = new Float64Array(boxes.flatMap((box) => [box.left, box.top, box.right, box.bottom]));
      const points = await promisify<Float32Array>((callback) =>
        landmarker.landmarks(
          frames.map((frame) => frame.data),
          width,
          height,
          flat,
          callback,
        ),
      );
      return frames.map((_, i) => points.slice(i * 136, (i + 1) * 136));
    },
  };
}
