/** Jest runs TypeScript as native ESM through SWC (middy is ESM-only). */
const swc = [
  '@swc/jest',
  {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2023' },
    module: { type: 'es6' },
    sourceMaps: 'inline',
  },
];

export default {
  // Node's environment, with Node's own typed arrays: native addons (onnxruntime-node) make them.
  testEnvironment: '<rootDir>/test/support/native-typed-arrays-environment.mjs',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  roots: ['<rootDir>/test', '<rootDir>/ec2-avhubert/test'],
  testMatch: ['**/*.test.ts'],
  setupFilesAfterEnv: ['<rootDir>/test/setup.ts'],
  testTimeout: 60_000,
  maxWorkers: 2,
};
