/**
 * Jest's node environment with Node's own typed-array constructors. A native addon
 * (onnxruntime-node) makes its Float32Arrays in Node's realm; without this, `instanceof
 * Float32Array` in the test's realm fails on them. Jest already shares ArrayBuffer and
 * Uint8Array this way. jest.config.js makes it every test's environment.
 */
import { TestEnvironment } from 'jest-environment-node';

const TYPED_ARRAYS = [
  'Int8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
];

export default class NativeTypedArraysEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of TYPED_ARRAYS) this.global[name] = globalThis[name];
  }
}
