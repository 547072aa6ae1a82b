import { createRequire } from 'node:module';
import path from 'node:path';
import type * as FaceApiModule from '@vladmandic/face-api';
import { faceApiRuntime } from '../../../../ec2-avhubert/src/preprocess/face-api-runtime';
import { normalisedCrops, toSourcePixels } from '../../../../ec2-avhubert/src/preprocess/face-landmarks';
import { boxAround, extentOf, FACE_API_FRAMING, fitsBox } from '../../../../ec2-avhubert/src/preprocess/tracker';
import type { FoundFace, Landmarks, RgbFrame } from './face-record';

export interface FaceFinder {
  /** Every face on the frame, left to right. */
  find(frame: RgbFrame): Promise<FoundFace[]>;
  /**
   * The same faces on a later frame without the detector: the landmark net alone, on a box
   * around each face's last landmarks (a fifth of a detection's cost). Null where a face is
   * lost (its landmarks no longer look like a face in that box).
   */
  follow(frame: RgbFrame, faces: readonly FoundFace[]): Promise<Array<FoundFace | null>>;
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

/** Weights and .wasm files from the npm packages unless given: no network. */
function faceApiPaths(options: FaceFinderOptions): { wasmDir: string; modelDir: string } {
  const require = createRequire(import.meta.url);
  const packageDir = (name: string) => path.dirname(require.resolve(`${name}/package.json`));
  return {
    wasmDir:
      options.wasmDir ?? process.env.TFJS_WASM_DIR ?? path.join(packageDir('@tensorflow/tfjs-backend-wasm'), 'dist'),
    modelDir:
      options.modelDir ?? process.env.FACE_API_MODEL_DIR ?? path.join(packageDir('@vladmandic/face-api'), 'model'),
  };
}

/**
 * The detector's box for a face that moved: the box keeps its place and size relative to the
 * landmarks, so a followed face is framed as its detection framed it.
 */
function movedBox(detected: FoundFace, landmarks: Landmarks): FoundFace['box'] {
  const before = extentOf(detected.landmarks);
  const after = extentOf(landmarks);
  const scale = before.extent > 0 ? after.extent / before.extent : 1;
  return {
    x: after.cx + (detected.box.x - before.cx) * scale,
    y: after.cy + (detected.box.y - before.cy) * scale,
    width: detected.box.width * scale,
    height: detected.box.height * scale,
  };
}

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
    const { wasmDir, modelDir } = faceApiPaths(options);
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
  const require = createRequire(import.meta.url);
  const landmarkNet = await faceApiRuntime({
    faceApiPath: require.resolve('@vladmandic/face-api/dist/face-api.node-wasm.js'),
    ...faceApiPaths(options),
  });

  return {
    async follow(frame, faces) {
      if (faces.length === 0) return [];
      const boxes = faces.map((face) => boxAround(face.landmarks, FACE_API_FRAMING));
      const crops = normalisedCrops(
        faces.map(() => frame),
        boxes,
      );
      const found = toSourcePixels(await landmarkNet.landmarks(crops, faces.length), boxes);
      return faces.map((face, i) => {
        const landmarks = found[i] as Landmarks;
        const box = boxes[i];
        if (!box || !fitsBox(landmarks, box, FACE_API_FRAMING)) return null;
        return { box: movedBox(face, landmarks), score: face.score, landmarks };
      });
    },
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
