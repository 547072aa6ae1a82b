import { createRequire } from 'node:module';
import path from 'node:path';
import type { Landmarks } from './landmark-track';
import { cropRgb, type RgbFrame, type SquareBox } from './roi';

import type * as FaceApiModule from '@vladmandic/face-api';

type FaceApi = typeof FaceApiModule;

/** The landmark net's input is LANDMARK_INPUT x LANDMARK_INPUT RGB. */
export const LANDMARK_INPUT = 112;

export interface FaceBox {
  x: number;
  y: number;
  width: number;
  height: number;
  score: number;
}

/** Face detection and 68-point landmarks; a worker-thread version can stand in for it. */
export interface LandmarkEngine {
  /** The most prominent face (largest box), or null. */
  detectFace(frame: RgbFrame): Promise<FaceBox | null>;
  /** Landmarks of each frame within its square box, in source pixels: one net call for all. */
  landmarks(frames: ReadonlyArray<RgbFrame>, boxes: ReadonlyArray<SquareBox>): Promise<Landmarks[]>;
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

let faceApiReady: Promise<FaceApi> | null = null;

/**
 * face-api on the tfjs WASM backend, with weights and .wasm files read from disk: no network.
 * Loaded once per process (face-api's nets are process-wide singletons).
 */
function loadFaceApi(options: FaceApiOptions): Promise<FaceApi> {
  faceApiReady ??= (async () => {
    const require = createRequire(import.meta.url);
    const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApi;
    const packageDir = (name: string) => path.dirname(require.resolve(`${name}/package.json`));
    const wasmDir =
      options.wasmDir ?? process.env.TFJS_WASM_DIR ?? path.join(packageDir('@tensorflow/tfjs-backend-wasm'), 'dist');
    const modelDir =
      options.modelDir ?? process.env.FACE_API_MODEL_DIR ?? path.join(packageDir('@vladmandic/face-api'), 'model');
    const tf = faceapi.tf as unknown as TfWasm;
    tf.setWasmPaths(wasmDir.endsWith(path.sep) ? wasmDir : wasmDir + path.sep);
    await tf.setBackend('wasm');
    await tf.ready();
    await faceapi.nets.tinyFaceDetector.loadFromDisk(modelDir);
    await faceapi.nets.faceLandmark68Net.loadFromDisk(modelDir);
    return faceapi;
  })();
  faceApiReady.catch(() => {
    faceApiReady = null;
  });
  return faceApiReady;
}

/** The parts of tfjs this module calls (face-api's typings omit the wasm helpers). */
interface TfWasm {
  setWasmPaths(prefix: string): void;
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
}

export async function createFaceApiEngine(options: FaceApiOptions = {}): Promise<LandmarkEngine> {
  const faceapi = await loadFaceApi(options);
  const tf = faceapi.tf;
  const detectorOptions = new faceapi.TinyFaceDetectorOptions({
    inputSize: options.detectorInputSize ?? 224,
    scoreThreshold: options.detectorScoreThreshold ?? 0.5,
  });
  const cropBytes = LANDMARK_INPUT * LANDMARK_INPUT * 3;

  return {
    async detectFace(frame) {
      const input = tf.tensor3d(Int32Array.from(frame.data), [frame.height, frame.width, 3], 'int32');
      try {
        const faces = await faceapi.detectAllFaces(input, detectorOptions);
        const largest = faces.sort((a, b) => b.box.area - a.box.area)[0];
        if (!largest) return null;
        const { x, y, width, height } = largest.box;
        return { x, y, width, height, score: largest.score };
      } finally {
        input.dispose();
      }
    },

    async landmarks(frames, boxes) {
      if (frames.length === 0) return [];
      const crops = new Float32Array(frames.length * cropBytes);
      boxes.forEach((box, i) => {
        const frame = frames[i];
        if (frame) cropRgb(frame, box, LANDMARK_INPUT, crops, i * cropBytes);
      });
      const inputs = frames.map((_, i) =>
        tf.tensor3d(crops.subarray(i * cropBytes, (i + 1) * cropBytes), [LANDMARK_INPUT, LANDMARK_INPUT, 3], 'float32'),
      );
      try {
        const output = faceapi.nets.faceLandmark68Net.forwardInput(new faceapi.NetInput(inputs, true));
        const relative = (await output.data()) as Float32Array;
        output.dispose();
        return boxes.map((box, i) => {
          const points = new Float32Array(136);
          for (let k = 0; k < 136; k += 2) {
            points[k] = box.x + (relative[i * 136 + k] ?? Number.NaN) * box.size;
            points[k + 1] = box.y + (relative[i * 136 + k + 1] ?? Number.NaN) * box.size;
          }
          return points;
        });
      } finally {
        inputs.forEach((t) => t.dispose());
      }
    },
  };
}
