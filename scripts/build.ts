/**
 * Bundles each functions/<name>/handler.ts with esbuild into one minified ESM file for
 * nodejs22.x, carrying its own pinned AWS SDK, and zips it deterministically into
 * dist/functions/<name>.zip. Prints each bundle's size.
 */
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { writeDeterministicZip } from './build/deterministic-zip';
import { pureSdkSchemaKeys } from './build/pure-sdk-schemas';
import {
  bundleDir,
  EXTERNAL_PACKAGES,
  listFunctions,
  metafilePath,
  zipPath,
  type FunctionSpec,
} from './build/functions';
import { checkStaticFfmpeg } from './build/static-ffmpeg';

// Some dependencies still call require() for Node built-ins; give ESM bundles one.
const REQUIRE_SHIM =
  "import { createRequire as __gorggleCreateRequire } from 'node:module'; const require = __gorggleCreateRequire(import.meta.url);";

/** The one esbuild configuration for Lambda bundles; the IAM test bundles with it too. */
export function lambdaBundleOptions(fn: Pick<FunctionSpec, 'entry'>, outfile: string) {
  return {
    entryPoints: [fn.entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    legalComments: 'none',
    metafile: true,
    mainFields: ['module', 'main'],
    // Native code cannot be bundled; these ship as node_modules/ in the zip.
    external: [...EXTERNAL_PACKAGES],
    banner: { js: REQUIRE_SHIM },
    plugins: [pureSdkSchemaKeys],
    logLevel: 'warning',
  } satisfies esbuild.BuildOptions;
}

/** Lambda's limit on a function's unzipped size (code and files, no layers). */
export const LAMBDA_UNZIPPED_LIMIT_BYTES = 250 * 1024 * 1024;

async function buildFunction(fn: FunctionSpec) {
  const outDir = bundleDir(fn.name);
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const outfile = path.join(outDir, 'index.mjs');
  const result = await esbuild.build(lambdaBundleOptions(fn, outfile));
  await writeFile(metafilePath(fn.name), JSON.stringify(result.metafile));
  const entries = [
    { zipPath: 'index.mjs', source: outfile, mode: 0o644 },
    { zipPath: 'index.mjs.map', source: `${outfile}.map`, mode: 0o644 },
    ...(await fn.extraFiles()).map((file) => ({ zipPath: file.zipPath, source: file.source, mode: file.mode })),
  ];
  const unzippedBytes = (await Promise.all(entries.map(async (entry) => (await stat(entry.source)).size))).reduce(
    (total, size) => total + size,
    0,
  );
  if (unzippedBytes > LAMBDA_UNZIPPED_LIMIT_BYTES) {
    throw new Error(
      `${fn.name} unzips to ${(unzippedBytes / 2 ** 20).toFixed(1)} MiB, over Lambda's 250 MiB: ship less beside the bundle.`,
    );
  }
  await writeDeterministicZip(zipPath(fn.name), entries);
  return {
    name: fn.name,
    bundleBytes: (await stat(outfile)).size,
    zipBytes: (await stat(zipPath(fn.name))).size,
    unzippedBytes,
  };
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

async function main() {
  const functions = listFunctions();
  const only = process.argv.slice(2);
  const selected = only.length ? functions.filter((fn) => only.includes(fn.name)) : functions;
  if (selected.some((fn) => fn.shipsFfmpeg)) {
    console.log(`static ffmpeg and ffprobe: one build, version ${checkStaticFfmpeg().version}`);
  }
  const rows = await Promise.all(selected.map(buildFunction));
  console.log('function'.padEnd(22) + 'bundle'.padStart(14) + 'zip'.padStart(14) + 'unzipped'.padStart(14));
  for (const row of rows) {
    console.log(
      row.name.padEnd(22) +
        kib(row.bundleBytes).padStart(14) +
        kib(row.zipBytes).padStart(14) +
        kib(row.unzippedBytes).padStart(14),
    );
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
