/**
 * Bundles the lip-reading server (src/main.ts) into ec2-avhubert/dist/server.mjs, the file
 * the systemd unit runs. Our TypeScript, the AWS SDK and zod go in. The libtorch addon (a
 * .node file, copied beside the bundle) and face-api/tfjs (which read their weights and
 * .wasm files from their npm packages at run time) stay external.
 */
import { existsSync } from 'node:fs';
import { chmod, copyFile, stat } from 'node:fs/promises';
import path from 'node:path';
import * as esbuild from 'esbuild';

const ROOT = path.resolve(import.meta.dirname, '..');
const OUTFILE = path.join(ROOT, 'dist', 'server.mjs');
const ADDON = path.join(ROOT, 'native', 'build', 'Release', 'gorggle_torch.node');

// Some bundled CommonJS still calls require() for Node built-ins; give the ESM bundle one.
const REQUIRE_SHIM =
  "import { createRequire as __gorggleCreateRequire } from 'node:module'; const require = __gorggleCreateRequire(import.meta.url);";

await esbuild.build({
  entryPoints: [path.join(ROOT, 'src', 'main.ts')],
  outfile: OUTFILE,
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  sourcemap: true,
  legalComments: 'none',
  mainFields: ['module', 'main'],
  banner: { js: REQUIRE_SHIM },
  external: ['*.node', '@vladmandic/face-api', '@vladmandic/face-api/*', '@tensorflow/*'],
  logLevel: 'warning',
});
console.log(`${path.relative(process.cwd(), OUTFILE)}: ${((await stat(OUTFILE)).size / 1024).toFixed(1)} KiB`);

// native/index.ts looks for the addon beside the bundle, among other places.
if (existsSync(ADDON)) {
  await copyFile(ADDON, path.join(ROOT, 'dist', 'gorggle_torch.node'));
  console.log(`copied ${path.relative(process.cwd(), ADDON)} beside it`);
} else {
  console.warn(
    `no addon at ${path.relative(process.cwd(), ADDON)} yet: build it (make native) before starting the bundle`,
  );
}

// The static ffmpeg and ffprobe (make ffmpeg) go beside the bundle too: defaultMediaTools
// looks there first, so the server never runs an older ffmpeg from the machine's packages.
const STATIC_FFMPEG_DIR = path.resolve(ROOT, '..', '.gorggle', 'ffmpeg');
for (const tool of ['ffmpeg', 'ffprobe']) {
  const source = path.join(STATIC_FFMPEG_DIR, tool);
  if (existsSync(source)) {
    await copyFile(source, path.join(ROOT, 'dist', tool));
    await chmod(path.join(ROOT, 'dist', tool), 0o755);
    console.log(`copied the static ${tool} beside it`);
  } else {
    console.warn(`no static ${tool} at ${path.relative(process.cwd(), source)}: run make ffmpeg first`);
  }
}
