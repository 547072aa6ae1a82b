import { createRequire } from 'node:module';
import path from 'node:path';
import {
  faceApiRuntime,
  LANDMARK_MEAN_RGB,
  type DetectorSettings,
  type FaceApiRuntime,
  type FaceApiRuntimeSetup,
} from './face-api-runtime';
import type { Landmarks } from './landmark-track';
import type { BoxFraming } from './tracker';
import { cropRgb, type RgbFrame, type SquareBox } from './roi';

/** The landmark net's input is LANDMARK_INPUT x LANDMARK_INPUT RGB. */
export const LANDMARK_INPUT = 112;
const CROP_VALUES = LANDMARK_INPUT * LANDMARK_INPUT * 3;

export interface FaceBox {
  x: number;
  y: number;
  width: number;
  height: number;
  score: number;
}

/** Face detection and 68-point landmarks, in this thread or in worker threads. */
export interface LandmarkEngine {
  /** The most prominent face (largest box), or null. */
  detectFace(frame: RgbFrame): Promise<FaceBox | null>;
  /** Landmarks of each frame within its square box, in source pixels: one net call for all. */
  landmarks(frames: ReadonlyArray<RgbFrame>, boxes: ReadonlyArray<SquareBox>): Promise<Landmarks[]>;
  /** Frees what the engine holds (worker threads); it cannot be used afterwards. */
  dispose?(): Promise<void>;
  /** How its detector frames a face, for boxes tracked from landmarks; default face-api's. */
  readonly framing?: BoxFraming;
  /** 'dlib' or 'face-api': which landmarks a job was aligned with. */
  readonly name?: string;
}

export interface FaceApiOptions {
  /** Folder with face-api's weights; default: the model/ folder of the npm package. */
  modelDir?: string;
  /** Folder with tfjs-backend-wasm's .wasm files; default: its npm package's dist/. */
  wasmDir?: string;
  /** TinyFaceDetector input size (a multiple of 32): larger finds smaller faces, slower. */
  detectorInputSize?: number;
  detectorScoreThreshold?: number;
}

/** Where face-api, its weights and the .wasm files are, resolved from the npm packages. */
export function faceApiSetup(options: FaceApiOptions = {}): FaceApiRuntimeSetup {
  const require = createRequire(import.meta.url);
  const packageDir = (name: string) => path.dirname(require.resolve(`${name}/package.json`));
  return {
    faceApiPath: require.resolve('@vladmandic/face-api/dist/face-api.node-wasm.js'),
    wasmDir:
      options.wasmDir ?? process.env.TFJS_WASM_DIR ?? path.join(packageDir('@tensorflow/tfjs-backend-wasm'), 'dist'),
    modelDir:
      options.modelDir ?? process.env.FACE_API_MODEL_DIR ?? path.join(packageDir('@vladmandic/face-api'), 'model'),
  };
}

export function detectorSettings(options: FaceApiOptions = {}): DetectorSettings {
  return { inputSize: options.detectorInputSize ?? 224, scoreThreshold: options.detectorScoreThreshold ?? 0.5 };
}

let runtimeInThisThread: Promise<FaceApiRuntime> | null = null;

/** face-api in this thread: loaded once per process (its nets are process-wide singletons). */
function loadRuntimeInThisThread(setup: FaceApiRuntimeSetup): Promise<FaceApiRuntime> {
  runtimeInThisThread ??= faceApiRuntime(setup);
  runtimeInThisThread.catch(() => {
    runtimeInThisThread = null;
  });
  return runtimeInThisThread;
}

/** face-api on tfjs-wasm in this thread. */
export async function createFaceApiEngine(options: FaceApiOptions = {}): Promise<LandmarkEngine> {
  const runtime = await loadRuntimeInThisThread(faceApiSetup(options));
  const detector = detectorSettings(options);
  return {
    async detectFace(frame) {
      return runtime.detectFace(frame.data, frame.width, frame.height, detector);
    },
    async landmarks(frames, boxes) {
      const relative = await runtime.landmarks(normalisedCrops(frames, boxes), frames.length);
      return toSourcePixels(relative, boxes);
    },
  };
}

/**
 * The landmark net's input for each frame's box: LANDMARK_INPUT^2 RGB crops, normalised as
 * face-api does, so only small crops cross into WASM (or to a worker).
 */
export function normalisedCrops(
  frames: ReadonlyArray<RgbFrame>,
  boxes: ReadonlyArray<SquareBox>,
): Float32Array<ArrayBuffer> {
  const crops = new Float32Array(frames.length * CROP_VALUES);
  frames.forEach((frame, i) => {
    const box = boxes[i];
    if (box) cropRgb(frame, box, LANDMARK_INPUT, crops, i * CROP_VALUES);
  });
  const [meanR, meanG, meanB] = LANDMARK_MEAN_RGB;
  for (let k = 0; k < crops.length; k += 3) {
    crops[k] = ((crops[k] as number) - meanR) / 255;
    crops[k + 1] = ((crops[k + 1] as number) - meanG) / 255;
    crops[k + 2] = ((crops[k + 2] as number) - meanB) / 255;
  }
  return crops;
}

/** Crop-relative landmarks (0..1) back into each box, in source pixels. */
export function toSourcePixels(relative: Float32Array, boxes: ReadonlyArray<SquareBox>): Landmarks[] {
  return boxes.map((box, i) => {
    const points = new Float32Array(136);
    for (let k = 0; k < 136; k += 2) {
      points[k] = box.x + (relative[i * 136 + k] ?? Number.NaN) * box.size;
      points[k + 1] = box.y + (relative[i * 136 + k + 1] ?? Number.NaN) * box.size;
    }
    return points;
  });
}
