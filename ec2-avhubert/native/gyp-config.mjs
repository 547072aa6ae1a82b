// Prints libtorch build settings for binding.gyp, so one file decides where libtorch lives.
//   LIBTORCH_DIR=/opt/libtorch   use a LibTorch distribution (e.g. the CUDA build on EC2): include/, lib/, rpath
//   (unset)                      use Debian's libtorch-dev (CPU) from /usr
//   CUDA_HOME=/usr/local/cuda    CUDA toolkit for cuda_runtime_api.h when the libtorch has libtorch_cuda.so
//   LIBTORCH_CXX11_ABI=0|1       override the ABI read from TorchConfig.cmake
// dlib comes from pkg-config (dlib-1: Debian's and Ubuntu's libdlib-dev).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

function findDebianLibDir() {
  const candidates = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib'];
  return candidates.find((dir) => existsSync(path.join(dir, 'libtorch.so')));
}

function locateLibtorch() {
  const root = process.env.LIBTORCH_DIR;
  if (root) {
    const libDir = path.join(root, 'lib');
    if (!existsSync(path.join(libDir, 'libtorch.so'))) {
      fail(`LIBTORCH_DIR=${root} has no lib/libtorch.so: point it at an unpacked LibTorch (cxx11 ABI) distribution.`);
    }
    return {
      includeDirs: [path.join(root, 'include'), path.join(root, 'include', 'torch', 'csrc', 'api', 'include')],
      libDir,
      cmakeDir: path.join(root, 'share', 'cmake', 'Torch'),
      rpath: true,
    };
  }
  const libDir = findDebianLibDir();
  if (!libDir || !existsSync('/usr/include/torch/script.h')) {
    fail(
      'libtorch not found: install Debian libtorch-dev (make setup) or set LIBTORCH_DIR to a LibTorch distribution.',
    );
  }
  return {
    includeDirs: ['/usr/include/torch/csrc/api/include'],
    libDir,
    cmakeDir: path.join(libDir, 'cmake', 'Torch'),
    rpath: false,
  };
}

function cxx11Abi(cmakeDir) {
  if (process.env.LIBTORCH_CXX11_ABI) return process.env.LIBTORCH_CXX11_ABI === '0' ? 0 : 1;
  const config = path.join(cmakeDir, 'TorchConfig.cmake');
  const match = existsSync(config) && /_GLIBCXX_USE_CXX11_ABI=([01])/.exec(readFileSync(config, 'utf8'));
  return match ? Number(match[1]) : 1;
}

function fail(message) {
  process.stderr.write(`gorggle_torch: ${message}\n`);
  process.exit(1);
}

const torch = locateLibtorch();
const withCuda = existsSync(path.join(torch.libDir, 'libtorch_cuda.so'));
const cudaHome = process.env.CUDA_HOME ?? '/usr/local/cuda';
if (withCuda && !existsSync(path.join(cudaHome, 'include', 'cuda_runtime_api.h'))) {
  fail(`${torch.libDir} is a CUDA libtorch but ${cudaHome}/include/cuda_runtime_api.h is missing: set CUDA_HOME.`);
}

/** dlib (Debian/Ubuntu libdlib-dev) through pkg-config: the HOG face detector and the shape predictor. */
function locateDlib() {
  try {
    const libs = execFileSync('pkg-config', ['--libs', 'dlib-1'], { encoding: 'utf8' }).trim().split(/\s+/);
    const cflags = execFileSync('pkg-config', ['--cflags', 'dlib-1'], { encoding: 'utf8' }).trim().split(/\s+/);
    return {
      libs: libs.filter(Boolean).map(versionedIfMissing),
      includeDirs: cflags.filter((f) => f.startsWith('-I')).map((f) => f.slice(2)),
    };
  } catch {
    fail(
      'dlib not found (pkg-config dlib-1): install libdlib-dev and libdlib-data (make setup; on Ubuntu apt-get install libdlib-dev libdlib-data).',
    );
  }
}

/**
 * Debian's dlib-1.pc names /usr/lib/.../libblas.so, which only the -dev packages provide; the
 * runtime's libblas.so.3 is what the link needs (dlib's headers call BLAS when DLIB_USE_BLAS).
 */
function versionedIfMissing(flag) {
  if (!flag.startsWith('/') || existsSync(flag)) return flag;
  const dir = path.dirname(flag);
  const versioned = existsSync(dir)
    ? readdirSync(dir)
        .filter((name) => name.startsWith(`${path.basename(flag)}.`))
        .sort()
    : [];
  if (versioned.length === 0)
    fail(`${flag} (from pkg-config dlib-1) is missing: install dlib's dependencies (libblas, liblapack).`);
  return path.join(dir, versioned[0]);
}

const dlib = locateDlib();

const settings = {
  node_addon_api: require('node-addon-api').include_dir,
  include_dirs: [...torch.includeDirs, ...dlib.includeDirs, ...(withCuda ? [path.join(cudaHome, 'include')] : [])],
  defines: [`_GLIBCXX_USE_CXX11_ABI=${cxx11Abi(torch.cmakeDir)}`, ...(withCuda ? ['WITH_CUDA=1'] : [])],
  // --no-as-needed keeps libtorch_cuda linked although no symbol of it is used directly;
  // without it CUDA kernels never register and torch::cuda::is_available() is false.
  libraries: [
    `-L${torch.libDir}`,
    ...(withCuda
      ? [
          `-L${path.join(cudaHome, 'lib64')}`,
          '-Wl,--no-as-needed',
          '-ltorch_cuda',
          '-lc10_cuda',
          '-lcudart',
          '-Wl,--as-needed',
        ]
      : []),
    '-ltorch',
    '-ltorch_cpu',
    '-lc10',
    ...dlib.libs,
  ],
  ldflags: torch.rpath ? [`-Wl,-rpath,${torch.libDir}`] : [],
};

const key = process.argv[2];
if (!(key in settings)) fail(`unknown setting ${key}`);
const value = settings[key];
process.stdout.write(Array.isArray(value) ? value.join(' ') : value);
