import type * as TfCore from '@tensorflow/tfjs-core';
import type * as FaceApiModule from '@vladmandic/face-api';

/*
 * Everything that touches tfjs. Both functions here are SELF-CONTAINED (no imports, no
 * module-level helpers): landmark-workers.ts ships their source text to worker threads, so
 * the same code runs in this thread and in workers, from ts sources and from the bundle.
 * Keep it that way: reference only parameters, locals and globals. (Coverage instrumentation,
 * which injects module-level counters, would break the workers.)
 */

export interface FaceApiRuntimeSetup {
  /** Absolute path of face-api's node-wasm build. */
  faceApiPath: string;
  /** Folder with tfjs-backend-wasm's .wasm files. */
  wasmDir: string;
  /** Folder with face-api's weights. */
  modelDir: string;
}

export interface DetectorSettings {
  /** TinyFaceDetector input size (a multiple of 32). */
  inputSize: number;
  scoreThreshold: number;
}

export interface DetectedFace {
  x: number;
  y: number;
  width: number;
  height: number;
  score: number;
}

export interface FaceApiRuntime {
  /** The largest face in an RGB24 frame, or null. */
  detectFace(rgb: Uint8Array, width: number, height: number, detector: DetectorSettings): Promise<DetectedFace | null>;
  /**
   * 68 landmarks for `count` crops of LANDMARK_INPUT^2 x 3, already normalised as face-api
   * does ((v - mean RGB) / 255): x, y pairs relative to the crop (0..1), 136 per crop.
   */
  landmarks(normalisedCrops: Float32Array, count: number): Promise<Float32Array>;
}

/** The mean RGB face-api's landmark net subtracts (FaceFeatureExtractor). */
export const LANDMARK_MEAN_RGB: readonly [number, number, number] = [122.782, 117.001, 104.298];

/**
 * Loads face-api on the tfjs WASM backend (weights and .wasm from disk, no network). The
 * landmark net is run as face-api's FaceLandmark68Net graph with its own weights, op for op,
 * but on one batched, pre-normalised tensor, with bias and ReLU fused into the convolutions:
 * face-api's own input path spends a quarter of the time stacking and normalising (a slow
 * channel concat in tfjs-wasm). Landmarks agree with face-api's to ~1e-4 px.
 */
export async function faceApiRuntime(setup: FaceApiRuntimeSetup): Promise<FaceApiRuntime> {
  type Tensor4D = TfCore.Tensor4D;
  type Conv = { filters: Tensor4D; bias: TfCore.Tensor1D };
  type Separable = { depthwise_filter: Tensor4D; pointwise_filter: Tensor4D; bias: TfCore.Tensor1D };
  type Block = { conv0: Conv | Separable; conv1: Separable; conv2: Separable; conv3: Separable };
  type Features = Record<'dense0' | 'dense1' | 'dense2' | 'dense3', Block>;
  type Head = { fc: { weights: TfCore.Tensor2D; bias: TfCore.Tensor1D } };
  const { createRequire } = process.getBuiltinModule('node:module');
  const faceapi = createRequire(setup.faceApiPath)(setup.faceApiPath) as typeof FaceApiModule;
  // face-api's typings of its bundled tfjs omit the backend and fused ops it has.
  const tf = faceapi.tf as unknown as typeof TfCore & { setWasmPaths(prefix: string): void };
  tf.setWasmPaths(setup.wasmDir.endsWith('/') ? setup.wasmDir : `${setup.wasmDir}/`);
  await tf.setBackend('wasm');
  await tf.ready();
  const nets = faceapi.nets;
  if (!nets.tinyFaceDetector.isLoaded) await nets.tinyFaceDetector.loadFromDisk(setup.modelDir);
  if (!nets.faceLandmark68Net.isLoaded) await nets.faceLandmark68Net.loadFromDisk(setup.modelDir);

  const features = nets.faceLandmark68Net.faceFeatureExtractor.params as unknown as Features | undefined;
  const head = nets.faceLandmark68Net.params as unknown as Head | undefined;
  if (!features || !head) throw new Error('face-api landmark weights did not load');
  const cropSize = 112;

  const separable = (x: Tensor4D, conv: Separable, stride: 1 | 2, relu: boolean): Tensor4D =>
    tf.fused.conv2d({
      x: tf.depthwiseConv2d(x, conv.depthwise_filter, stride, 'same'),
      filter: conv.pointwise_filter,
      strides: 1,
      pad: 'valid',
      bias: conv.bias,
      activation: relu ? 'relu' : 'linear',
    });
  const add = (a: Tensor4D, b: Tensor4D) => tf.add<Tensor4D>(a, b);
  // face-api's denseBlock4, with the same additions in the same order.
  const denseBlock = (x: Tensor4D, block: Block): Tensor4D => {
    const conv0 = block.conv0;
    const out1 =
      'filters' in conv0
        ? tf.fused.conv2d({ x, filter: conv0.filters, strides: 2, pad: 'same', bias: conv0.bias, activation: 'relu' })
        : separable(x, conv0, 2, true);
    const out2 = separable(out1, block.conv1, 1, false);
    const in3 = tf.relu(add(out1, out2));
    const out3 = separable(in3, block.conv2, 1, false);
    const in4 = tf.relu(add(out1, add(out2, out3)));
    const out4 = separable(in4, block.conv3, 1, false);
    return tf.relu(add(out1, add(out2, add(out3, out4))));
  };

  return {
    async detectFace(rgb, width, height, detector) {
      const input = faceapi.tf.tensor3d(Int32Array.from(rgb), [height, width, 3], 'int32');
      try {
        const faces = await faceapi.detectAllFaces(input, new faceapi.TinyFaceDetectorOptions(detector));
        const largest = faces.sort((a, b) => b.box.area - a.box.area)[0];
        if (!largest) return null;
        const { x, y, width: w, height: h } = largest.box;
        return { x, y, width: w, height: h, score: largest.score };
      } finally {
        input.dispose();
      }
    },

    async landmarks(normalisedCrops, count) {
      if (count === 0) return new Float32Array(0);
      const output = tf.tidy(() => {
        const input = tf.tensor4d(normalisedCrops, [count, cropSize, cropSize, 3], 'float32');
        let out = denseBlock(input, features.dense0);
        out = denseBlock(out, features.dense1);
        out = denseBlock(out, features.dense2);
        out = denseBlock(out, features.dense3);
        const pooled = tf.avgPool(out, [7, 7], [2, 2], 'valid');
        return tf.add(tf.matMul(tf.reshape(pooled, [count, -1]), head.fc.weights), head.fc.bias);
      });
      try {
        return (await output.data()) as Float32Array;
      } finally {
        output.dispose();
      }
    },
  };
}
