/**
 * Packs the lip-reading server into one self-contained tarball, the bundle Terraform uploads
 * to S3 and a GPU instance installs on its first boot (setup/install-from-bundle.sh) with no
 * internet: Node 22, the static ffmpeg and ffprobe (make ffmpeg), the bundled server, the
 * addon's sources with Node's headers and node-gyp to build it against the instance's CUDA
 * libtorch, dlib (headers, library, the libraries it needs that an AMI lacks, and its
 * 68-point model), and the npm packages the server loads at run time (face-api, tfjs).
 *
 *   tsx ec2-avhubert/scripts/package.ts [--out dist/avhubert/gorggle-avhubert.tar.gz]
 *
 * Run scripts/bundle.ts first (make avhubert-bundle does both). Builds on linux-x64 only: Node
 * comes from this machine's node_modules, dlib from its libdlib-dev and libdlib-data (Debian
 * 12's need glibc 2.34 at most; the packer refuses libraries that need more than Ubuntu 22.04's).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  createReadStream,
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { STATIC_FFMPEG_DIR, checkStaticFfmpeg } from '../../scripts/build/static-ffmpeg';

const SERVER_ROOT = path.resolve(import.meta.dirname, '..');
const REPO_ROOT = path.dirname(SERVER_ROOT);

/** npm packages the bundled server leaves external (scripts/bundle.ts), plus the addon build's. */
export const RUNTIME_PACKAGES = [
  '@vladmandic/face-api',
  '@tensorflow/tfjs',
  '@tensorflow/tfjs-backend-wasm',
  'node-addon-api',
  'node-gyp',
] as const;

/** Files of the repository that go in as they are, relative to its root. */
const SERVER_FILES = [
  'ec2-avhubert/dist/server.mjs',
  'ec2-avhubert/dist/server.mjs.map',
  'ec2-avhubert/native/binding.gyp',
  'ec2-avhubert/native/gyp-config.mjs',
  'ec2-avhubert/native/src',
  'ec2-avhubert/systemd',
  'ec2-avhubert/setup/install-from-bundle.sh',
  'ec2-avhubert/package.json',
  'LICENSE',
];

export class PackageError extends Error {
  override readonly name = 'PackageError';
}

interface PackageJson {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/** Where Node would find `name` from `fromDir`: the nearest node_modules/<name> walking up. */
export function findPackageDir(name: string, fromDir: string, root = REPO_ROOT): string | undefined {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (dir === root || dir === path.dirname(dir)) return undefined;
  }
}

/**
 * Every package directory `roots` need at run time (dependencies, optional and peer ones that
 * are installed), each once, as Node resolves them from `fromDir`.
 */
export function dependencyClosure(roots: readonly string[], fromDir: string, root = REPO_ROOT): string[] {
  const found = new Set<string>();
  const visit = (name: string, from: string, required: boolean) => {
    const dir = findPackageDir(name, from, root);
    if (!dir) {
      if (required)
        throw new PackageError(
          `${name} is not installed (needed from ${path.relative(root, from) || '.'}): run npm install`,
        );
      return;
    }
    if (found.has(dir)) return;
    found.add(dir);
    const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as PackageJson;
    for (const dependency of Object.keys(manifest.dependencies ?? {})) visit(dependency, dir, true);
    for (const dependency of Object.keys(manifest.optionalDependencies ?? {})) visit(dependency, dir, false);
    for (const dependency of Object.keys(manifest.peerDependencies ?? {})) visit(dependency, dir, false);
  };
  for (const name of roots) visit(name, fromDir, true);
  return [...found].sort();
}

function nodeBinary(): string {
  const dir = findPackageDir('node', REPO_ROOT);
  const binary = dir && path.join(dir, 'bin', 'node');
  if (!binary || !existsSync(binary)) {
    throw new PackageError(
      'node_modules/node/bin/node is missing: run npm install (the npm "node" package brings Node 22).',
    );
  }
  return binary;
}

/**
 * The headers node-gyp needs with --nodedir for an N-API addon: the N-API ones, the version
 * it reads, and the build settings it includes. N-API is ABI-stable, so any recent Node's serve.
 */
const NODE_HEADERS = [
  'common.gypi',
  'config.gypi',
  'node_version.h',
  'node_api.h',
  'node_api_types.h',
  'js_native_api.h',
  'js_native_api_types.h',
];

/** What the server never reads at run time: source maps, typings, docs, browser bundles' demos. */
const PRUNED = /(\.map|\.d\.ts|\.tsbuildinfo|\.html|\.md)$/;

function nodeHeadersDir(): string {
  const candidates = [
    process.env.NODE_HEADERS_DIR,
    '/usr/include/node',
    path.join(path.dirname(process.execPath), '..', 'include', 'node'),
  ];
  const dir = candidates.find((candidate) => candidate && existsSync(path.join(candidate, 'node_api.h')));
  if (!dir) {
    throw new PackageError(
      'No Node headers (node_api.h) found: install Debian nodejs (it ships /usr/include/node) or set NODE_HEADERS_DIR.',
    );
  }
  return dir;
}

/** The shape predictor the server's dlib landmarks load (libdlib-data); the installer puts it back there. */
export const DLIB_SHAPE_PREDICTOR = '/usr/share/dlib/shape_predictor_68_face_landmarks.dat';

/** The oldest target AMI's glibc (Ubuntu 22.04); a vendored library that needs more would not load there. */
export const TARGET_GLIBC = '2.35';

const versionParts = (version: string) => version.split('.').map(Number);
/** Whether version a (e.g. 2.36) is newer than b (e.g. 2.35). */
export const newerThan = (a: string, b: string): boolean => {
  const [x = [], y = []] = [versionParts(a), versionParts(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) > (y[i] ?? 0);
  }
  return false;
};

/** The newest GLIBC_x.y symbol version a shared library needs (objdump -T). */
export function glibcNeeded(library: string): string {
  const versions = execFileSync('objdump', ['-T', library], { encoding: 'utf8' }).match(/GLIBC_\d+(\.\d+)*/g) ?? [];
  return versions
    .map((version) => version.slice('GLIBC_'.length))
    .reduce((newest, version) => (newerThan(version, newest) ? version : newest), '0');
}

/** Libraries every Linux AMI has (glibc, the C++ runtime, zlib): never vendored. */
const SYSTEM_LIBRARY = /^(linux-vdso|ld-linux|libc|libm|libpthread|libdl|librt|libstdc\+\+|libgcc_s|libz)\.so/;

const pkgConfig = (...args: string[]) => {
  try {
    return execFileSync('pkg-config', [...args, 'dlib-1'], { encoding: 'utf8' }).trim();
  } catch {
    throw new PackageError('dlib not found (pkg-config dlib-1): install libdlib-dev and libdlib-data (make setup).');
  }
};

/**
 * dlib as the addon build on the instance finds it: dlib/include, dlib/lib with libdlib and
 * the libraries it needs that a stock AMI lacks (BLAS, LAPACK, libjpeg 62, libpng...), a
 * relocatable dlib-1.pc that gyp-config.mjs reads through pkg-config, and the model file.
 */
function vendorDlib(stage: string): void {
  const libDir = pkgConfig('--variable=libdir');
  const includeDir = pkgConfig('--variable=includedir');
  const library = realpathSync(path.join(libDir, 'libdlib.so'));
  if (!existsSync(DLIB_SHAPE_PREDICTOR)) {
    throw new PackageError(`${DLIB_SHAPE_PREDICTOR} is missing: install libdlib-data (make setup).`);
  }
  const lib = path.join(stage, 'dlib', 'lib');
  mkdirSync(lib, { recursive: true });
  cpSync(path.join(includeDir, 'dlib'), path.join(stage, 'dlib', 'include', 'dlib'), { recursive: true });
  cpSync(library, path.join(lib, path.basename(library)));
  symlinkSync(path.basename(library), path.join(lib, 'libdlib.so'));
  const needed: string[] = [];
  for (const line of execFileSync('ldd', [library], { encoding: 'utf8' }).split('\n')) {
    const [, soname = '', resolved = ''] = /^\s*(\S+)\s+=>\s+(\S+)/.exec(line) ?? [];
    if (!resolved.startsWith('/') || SYSTEM_LIBRARY.test(soname)) continue;
    cpSync(realpathSync(resolved), path.join(lib, soname));
    needed.push(soname);
  }
  for (const file of [path.basename(library), ...needed]) {
    const glibc = glibcNeeded(path.join(lib, file));
    if (newerThan(glibc, TARGET_GLIBC)) {
      throw new PackageError(
        `${file} needs glibc ${glibc}, newer than the ${TARGET_GLIBC} of the oldest target AMI (Ubuntu 22.04): pack on Debian 12 or older.`,
      );
    }
  }
  // The headers call BLAS and LAPACK (DLIB_USE_BLAS), so the addon links them itself.
  const direct = needed.filter((soname) => /^lib(blas|lapack)\.so/.test(soname));
  mkdirSync(path.join(lib, 'pkgconfig'));
  writeFileSync(
    path.join(lib, 'pkgconfig', 'dlib-1.pc'),
    [
      '# Written by ec2-avhubert/scripts/package.ts: the dlib vendored in the lip-reading bundle.',
      'prefix=${pcfiledir}/../..',
      'libdir=${prefix}/lib',
      'includedir=${prefix}/include',
      '',
      'Name: dlib',
      'Description: dlib vendored for the lip-reading addon',
      `Version: ${pkgConfig('--modversion')}`,
      `Libs: -L\${libdir} -ldlib -Wl,-rpath,\${libdir} ${direct.map((soname) => `\${libdir}/${soname}`).join(' ')}`,
      'Cflags: -I${includedir}',
      '',
    ].join('\n'),
  );
  mkdirSync(path.join(stage, 'dlib', 'share'));
  cpSync(DLIB_SHAPE_PREDICTOR, path.join(stage, 'dlib', 'share', path.basename(DLIB_SHAPE_PREDICTOR)));
}

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function packageServer(outFile: string): Promise<{ file: string; bytes: number; sha256: string }> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new PackageError(
      `The bundle carries linux-x64 binaries; build it on linux-x64, not ${process.platform}-${process.arch}.`,
    );
  }
  if (!existsSync(path.join(SERVER_ROOT, 'dist', 'server.mjs'))) {
    throw new PackageError(
      'ec2-avhubert/dist/server.mjs is missing: run tsx ec2-avhubert/scripts/bundle.ts first (make avhubert-bundle).',
    );
  }
  const stage = path.join(path.dirname(outFile), 'stage');
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  const copy = (from: string, to: string) => cpSync(from, path.join(stage, to), { recursive: true, dereference: true });

  for (const file of SERVER_FILES) if (existsSync(path.join(REPO_ROOT, file))) copy(path.join(REPO_ROOT, file), file);
  copy(nodeBinary(), 'node/bin/node');
  const headers = nodeHeadersDir();
  for (const header of NODE_HEADERS) {
    if (existsSync(path.join(headers, header))) copy(path.join(headers, header), `node/include/node/${header}`);
  }
  checkStaticFfmpeg();
  for (const file of ['ffmpeg', 'ffprobe', 'BUILD-INFO']) copy(path.join(STATIC_FFMPEG_DIR, file), `bin/${file}`);
  vendorDlib(stage);
  for (const dir of dependencyClosure(RUNTIME_PACKAGES, SERVER_ROOT)) {
    // Each package without its own node_modules: nested dependencies are in the closure themselves.
    cpSync(dir, path.join(stage, path.relative(REPO_ROOT, dir)), {
      recursive: true,
      filter: (source) => {
        const relative = path.relative(dir, source);
        return !relative.split(path.sep).includes('node_modules') && !PRUNED.test(relative);
      },
    });
  }

  mkdirSync(path.dirname(outFile), { recursive: true });
  // Reproducible: sorted names, no owners or times, gzip without a timestamp (-1: the binaries
  // hardly compress, so a higher level costs minutes for a few MiB).
  execFileSync(
    'sh',
    [
      '-c',
      'tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$1" -cf - . | gzip -1 -n > "$2"',
      'package',
      stage,
      outFile,
    ],
    { stdio: 'inherit' },
  );
  rmSync(stage, { recursive: true, force: true });
  const result = { file: outFile, bytes: statSync(outFile).size, sha256: await sha256(outFile) };
  writeFileSync(`${outFile}.sha256`, `${result.sha256}  ${path.basename(outFile)}\n`);
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: { out: { type: 'string', default: path.join(REPO_ROOT, 'dist', 'avhubert', 'gorggle-avhubert.tar.gz') } },
  });
  try {
    const result = await packageServer(path.resolve(values.out));
    console.log(
      `${path.relative(process.cwd(), result.file)}: ${(result.bytes / 2 ** 20).toFixed(1)} MiB, sha256 ${result.sha256}`,
    );
  } catch (error) {
    if (!(error instanceof PackageError) && (error as Error).name !== 'StaticFfmpegError') throw error;
    console.error(`avhubert-bundle: ${(error as Error).message}`);
    process.exit(1);
  }
}
