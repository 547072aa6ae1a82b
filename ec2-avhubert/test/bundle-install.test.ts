import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { renderTemplate } from '../../scripts/render-statemachine';
import { REPO_ROOT } from '../../test/support/paths';

/**
 * The GPU instance's first boot, on this machine: the bundle `make avhubert-bundle` packs is
 * unpacked and installed by setup/install-from-bundle.sh with no network at all (in a network
 * namespace of its own when `unshare` allows), the addon built from the bundle's node-gyp,
 * Node headers and dlib (not this machine's) against its PyTorch libtorch (CPU here, CUDA on
 * the instance), the model package fetched from "S3" (a stand-in `aws` CLI serving a folder),
 * and the installed server started from the bundle's own Node: /health must report the model.
 */

const BUNDLE = path.join(REPO_ROOT, 'dist', 'avhubert', 'gorggle-avhubert.tar.gz');
const TEST_MODEL = path.join(REPO_ROOT, 'ec2-avhubert', 'models', 'test-model');
const INSTALLER = path.join(REPO_ROOT, 'ec2-avhubert', 'setup', 'install-from-bundle.sh');
const USER_DATA = path.join(REPO_ROOT, 'terraform', 'templates', 'avhubert-user-data.sh.tftpl');
const MODEL_URI = 's3://gorggle-artifacts/models/avhubert/';
const PROCESSED_BUCKET = 'gorggle-processed-123456789012-eu-west-1';
const SECRET_PARAMETER = '/gorggle/avhubert/shared-secret';
/** Stands in for the SSM parameter when the installed server is started here. */
const TEST_SECRET = 'bundle-install-test-secret-0123456789abcdef';

/** `aws s3 ls|sync|cp` over $FAKE_S3_ROOT/<bucket>/<key>: all the installer asks of the CLI. */
const FAKE_AWS = `#!/usr/bin/env bash
set -euo pipefail
local_path() { printf '%s/%s' "$FAKE_S3_ROOT" "\${1#s3://}"; }
[[ $1 == s3 ]] || { echo "fake aws: only s3" >&2; exit 2; }
command=$2; shift 2
args=(); for arg in "$@"; do [[ $arg == --* ]] || args+=("$arg"); done
case $command in
  ls) [[ -e $(local_path "\${args[0]}") ]] ;;
  sync) mkdir -p "\${args[1]}"; cp -r "$(local_path "\${args[0]}")/." "\${args[1]}/" ;;
  cp) cp "$(local_path "\${args[0]}")" "\${args[1]}" ;;
  *) echo "fake aws: no s3 $command" >&2; exit 2 ;;
esac
`;

const canIsolateNetwork = spawnSync('unshare', ['--net', 'true']).status === 0;

function shellcheck(file: string): string {
  const result = spawnSync('shellcheck', ['-o', 'all', file], { encoding: 'utf8' });
  if (result.error)
    throw new Error('shellcheck is missing: make setup installs it (scripts/setup/debian-packages.txt)');
  return result.stdout;
}

describe('the lip-reading server bundle', () => {
  let root: string;
  let app: string;

  beforeAll(() => {
    if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run make avhubert-bundle first`);
    root = mkdtempSync(path.join(os.tmpdir(), 'gorggle-bundle-install-'));
    app = path.join(root, 'opt', 'gorggle');
    mkdirSync(app, { recursive: true });
    execFileSync('tar', ['-xzf', BUNDLE, '-C', app]);
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('passes shellcheck, as do the user data that runs it', () => {
    // Prepare: the user data as Terraform renders it.
    const rendered = path.join(root, 'user-data.sh');
    writeFileSync(
      rendered,
      renderTemplate(readFileSync(USER_DATA, 'utf8'), {
        region: 'eu-west-1',
        bundle_bucket: 'gorggle-artifacts',
        bundle_key: 'avhubert/gorggle-avhubert-0123456789abcdef.tar.gz',
        bundle_sha256: 'a'.repeat(64),
        model_s3_uri: MODEL_URI,
        port: 8080,
        processed_bucket: PROCESSED_BUCKET,
        secret_parameter: SECRET_PARAMETER,
      }),
    );

    // Assess
    expect(shellcheck(INSTALLER)).toBe('');
    expect(shellcheck(rendered)).toBe('');
  });

  it('vendors only libraries that load on the oldest target AMI (Ubuntu 22.04, glibc 2.35)', async () => {
    // Arrange
    const { TARGET_GLIBC, glibcNeeded, newerThan } = await import('../scripts/package');
    const lib = path.join(app, 'dlib', 'lib');
    const libraries = readdirSync(lib).filter((file) => /\.so\.\d/.test(file));

    // Act
    const needs = Object.fromEntries(libraries.map((file) => [file, glibcNeeded(path.join(lib, file))]));

    // Assess: what the packer checks, and that its comparison is by number, not text
    expect(libraries).toEqual(expect.arrayContaining(['libdlib.so.19.24.0', 'libblas.so.3', 'liblapack.so.3']));
    expect(Object.entries(needs).filter(([, glibc]) => newerThan(glibc, TARGET_GLIBC))).toEqual([]);
    expect([newerThan('2.36', '2.35'), newerThan('2.4', '2.35'), newerThan('2.35', '2.35')]).toEqual([
      true,
      false,
      false,
    ]);
  });

  it('installs with no network and serves /health with its model from the bundle alone', async () => {
    // Prepare: the model package where Terraform tells the instance to look.
    const fakeBin = path.join(root, 'bin');
    const s3Root = path.join(root, 's3');
    mkdirSync(fakeBin, { recursive: true });
    mkdirSync(path.join(root, 'home'), { recursive: true });
    writeFileSync(path.join(fakeBin, 'aws'), FAKE_AWS);
    chmodSync(path.join(fakeBin, 'aws'), 0o755);
    cpSync(TEST_MODEL, path.join(s3Root, 'gorggle-artifacts', 'models', 'avhubert'), { recursive: true });
    const installer = path.join(app, 'ec2-avhubert', 'setup', 'install-from-bundle.sh');
    const args = [
      ...['--region', 'eu-west-1', '--model-s3-uri', MODEL_URI, '--port', '8080'],
      ...['--processed-bucket', PROCESSED_BUCKET, '--secret-parameter', SECRET_PARAMETER],
    ];

    // Act: install
    const install = spawnSync(
      canIsolateNetwork ? 'unshare' : installer,
      canIsolateNetwork ? ['--net', '--', installer, ...args] : args,
      {
        encoding: 'utf8',
        env: {
          PATH: `${fakeBin}:/usr/bin:/bin`,
          HOME: path.join(root, 'home'),
          FAKE_S3_ROOT: s3Root,
          GORGGLE_PREFIX: root,
          GORGGLE_SKIP_SYSTEM: '1',
        },
      },
    );

    // Assess: the install
    expect({ status: install.status, log: install.status === 0 ? '' : `${install.stdout}\n${install.stderr}` }).toEqual(
      {
        status: 0,
        log: '',
      },
    );
    const addon = path.join(app, 'ec2-avhubert', 'dist', 'gorggle_torch.node');
    // Linked against the bundle's dlib, which the library path finds at run time.
    expect(execFileSync('readelf', ['-d', addon], { encoding: 'utf8' })).toContain(`${app}/dlib/lib`);
    const envFile = readFileSync(path.join(root, 'etc', 'gorggle', 'avhubert.env'), 'utf8');
    expect(envFile).toContain(`GORGGLE_MODEL_DIR=${root}/opt/gorggle-models/current`);
    expect(envFile).toContain(`GORGGLE_MODEL_S3_URI=${MODEL_URI}`);
    expect(envFile).toContain('GORGGLE_IDLE_SHUTDOWN_MINUTES=0');
    expect(envFile).toContain(`GORGGLE_PROCESSED_BUCKET=${PROCESSED_BUCKET}`);
    expect(envFile).toContain(`GORGGLE_AVHUBERT_SECRET_PARAMETER=${SECRET_PARAMETER}`);
    expect(envFile).toContain(`FFMPEG_PATH=${app}/bin/ffmpeg`);
    const dropIn = readFileSync(
      path.join(root, 'etc', 'systemd', 'system', 'gorggle-avhubert.service.d', 'bundle.conf'),
      'utf8',
    );
    expect(dropIn).toContain(`ExecStart=${app}/node/bin/node --enable-source-maps ${app}/ec2-avhubert/dist/server.mjs`);
    expect(dropIn).toMatch(new RegExp(`^Environment=LD_LIBRARY_PATH=${app}/dlib/lib:.*/torch/lib$`, 'm'));
    const libraryPath = /^Environment=LD_LIBRARY_PATH=(.*)$/m.exec(dropIn)?.[1] ?? '';

    // Assess: the installed addon reads the 68-point model the installer put where the server
    // looks, and places 68 points in a box (a grey frame: only the model's shape matters here).
    const predictor = path.join(root, 'usr', 'share', 'dlib', 'shape_predictor_68_face_landmarks.dat');
    const landmarks = spawnSync(
      path.join(app, 'node', 'bin', 'node'),
      [
        '-e',
        `const addon = require(${JSON.stringify(addon)});
         addon.loadFaceLandmarker(${JSON.stringify(predictor)}, (error, landmarker) => {
           if (error) throw error;
           const frame = new Uint8Array(64 * 64 * 3).fill(128);
           landmarker.landmarks([frame], 64, 64, new Float64Array([8, 8, 56, 56]), (error, points) => {
             if (error) throw error;
             console.log(points.length);
           });
         });`,
      ],
      { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', LD_LIBRARY_PATH: libraryPath } },
    );
    expect({ out: landmarks.stdout.trim(), err: landmarks.stderr }).toEqual({ out: '136', err: '' });

    // Act: start the installed server the way the unit does, with its env file.
    const { GORGGLE_AVHUBERT_SECRET_PARAMETER: _parameter, ...serverEnv } = Object.fromEntries(
      envFile
        .split('\n')
        .filter((line) => /^[A-Z_]+=/.test(line))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    const server = spawn(
      path.join(app, 'node', 'bin', 'node'),
      [path.join(app, 'ec2-avhubert', 'dist', 'server.mjs')],
      {
        env: {
          ...serverEnv,
          // No SSM here: the secret itself instead of its parameter.
          GORGGLE_AVHUBERT_SECRET: TEST_SECRET,
          LD_LIBRARY_PATH: libraryPath,
          PATH: '/usr/bin:/bin',
          GORGGLE_AVHUBERT_HOST: '127.0.0.1',
          GORGGLE_AVHUBERT_PORT: '0',
          GORGGLE_TMP_DIR: path.join(root, 'tmp'),
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    try {
      const port = await new Promise<number>((resolve, reject) => {
        server.on('exit', (code) => reject(new Error(`the installed server exited with ${code}`)));
        createInterface({ input: server.stdout! }).on('line', (line) => {
          const entry = JSON.parse(line) as { message?: string; port?: number };
          if (entry.message === 'lip-reading server listening' && entry.port) resolve(entry.port);
        });
      });
      const response = await fetch(`http://127.0.0.1:${port}/health`, {
        headers: { authorization: `Bearer ${TEST_SECRET}` },
      });
      const health = (await response.json()) as Record<string, unknown>;

      // Assess: the server
      expect(health).toMatchObject({
        status: 'ok',
        model: { loaded: true, name: 'gorggle-test-seq2seq', device: 'cpu' },
        idleShutdown: { enabled: false },
      });
    } finally {
      server.kill('SIGTERM');
    }
  }, 900_000);
});
