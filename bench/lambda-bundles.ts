/**
 * Size and cold import time of every Lambda bundle. Each sample is a fresh Node
 * process importing the bundle, which is what a Lambda cold start pays for our code
 * (the runtime's own init is not ours to measure here).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { bundleDir, listFunctions } from '../scripts/build/functions';
import { median } from './stats';

const SAMPLES = 5;
const BUNDLE_LIMIT_BYTES = 1024 * 1024;
const IMPORT_TARGET_MS = 300;

const IMPORT_PROBE = `
const started = performance.now();
await import(process.argv[1]);
process.stdout.write(String(performance.now() - started));
`;

function coldImportMs(bundle: string): number {
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', IMPORT_PROBE, bundle], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1' },
  });
  return Number(output);
}

export interface BundleFigures {
  name: string;
  bundleBytes: number;
  medianImportMs: number;
}

export function measureLambdaBundles(): BundleFigures[] {
  return listFunctions().map((fn) => {
    const bundle = path.join(bundleDir(fn.name), 'index.mjs');
    if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run \`make build\` first.`);
    const samples = Array.from({ length: SAMPLES }, () => coldImportMs(bundle));
    return { name: fn.name, bundleBytes: statSync(bundle).size, medianImportMs: median(samples) };
  });
}

export function printLambdaBundles(rows: BundleFigures[]): void {
  console.log(`\nLambda bundles (cold import: median of ${SAMPLES} fresh processes, Node ${process.version})`);
  console.log(
    'function'.padEnd(20) +
      'bundle'.padStart(12) +
      'of 1 MB'.padStart(10) +
      'import ms'.padStart(12) +
      'of 300 ms'.padStart(11),
  );
  for (const row of rows) {
    console.log(
      row.name.padEnd(20) +
        `${(row.bundleBytes / 1024).toFixed(0)} KiB`.padStart(12) +
        (row.bundleBytes / BUNDLE_LIMIT_BYTES).toFixed(2).padStart(10) +
        row.medianImportMs.toFixed(1).padStart(12) +
        (row.medianImportMs / IMPORT_TARGET_MS).toFixed(2).padStart(11),
    );
  }
}
