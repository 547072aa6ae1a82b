import { createRequire } from 'node:module';
import path from 'node:path';
import type * as FaceApiModule from '@vladmandic/face-api';
import type { FoundFace, RgbFrame } from './face-record';

export interface FaceFinder {
  /** Every face on the frame, left to right. */
  find(frame: RgbFrame): Promise<FoundFace[]>;
}

export interface FaceFinderOptions {
  /** Folder with face-api's weights; default: the model/ folder of its npm package. */
  modelDir?: string;
  /** Folder with tfjs-backend-wasm's .wasm files; default: its npm package's dist/. */
  wasmDir?: string;
  /** TinyFaceDetector's input (a multiple of 32): larger finds smaller faces, slower. Default 224. */
  detectorInputSize?: number;
  /** Default 0.5. */
  detectorScoreThreshold?: number;
  /** Most faces reported per frame, largest first. Default 20. */
  maxFaces?: number;
}

type FaceApi = typeof FaceApiModule;

/** The parts of tfjs called here that face-api's typings leave out. */
interface TfWasm {
  setWasmPaths(prefix: string): void;
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
}

let loaded: Promise<FaceApi> | null = null;

/**
 * face-api on the tfjs WASM backend, with weights and .wasm read from the npm packages: no
 * network. The lip-reading server has its own loader (ec2-avhubert/src/preprocess), but its
 * engine reports only the largest face, and Rekognition reports every face; face-api's nets
 * are process-wide, so loading twice in one process only skips what is already loaded.
 */
function loadFaceApi(options: FaceFinderOptions): Promise<FaceApi> {
  loaded ??= (async () => {
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
    if (!faceapi.nets.tinyFaceDetector.isLoaded) await faceapi.nets.tinyFaceDetector.loadFromDisk(modelDir);
    if (!faceapi.nets.faceLandmark68Net.isLoaded) await faceapi.nets.faceLandmark68Net.loadFromDisk(modelDir);
    return faceapi;
  })();
  loaded.catch(() => {
    loaded = null;
  });
  return loaded;
}

/** Face detection (TinyFaceDetector) and 68-point landmarks (FaceLandmark68Net) per frame. */
export async function createFaceFinder(options: FaceFinderOptions = {}): Promise<FaceFinder> {
  const faceapi = await loadFaceApi(options);
  const detectorOptions = new faceapi.TinyFaceDetectorOptions({
    inputSize: options.detectorInputSize ?? 224,
    scoreThreshold: options.detectorScoreThreshold ?? 0.5,
  });
  const maxFaces = options.maxFaces ?? 20;

  return {
    async find(frame) {
      const input = faceapi.tf.tensor3d(Int32Array.from(frame.data), [frame.height, frame.width, 3], 'int32');
      try {
        const faces = await faceapi.detectAllFaces(input, detectorOptions).withFaceLandmarks();
        return faces
          .sort((a, b) => b.detection.box.area - a.detection.box.area)
          .slice(0, maxFaces)
          .map((face) => {
            const { x, y, width, height } = face.detection.box;
            return {
              box: { x, y, width, height },
              score: face.detection.score,
              landmarks: Float32Array.from(face.landmarks.positions.flatMap((point) => [point.x, point.y])),
            };
          })
          .sort((a, b) => a.box.x - b.box.x);
      } finally {
        input.dispose();
      }
    },
  };
}
