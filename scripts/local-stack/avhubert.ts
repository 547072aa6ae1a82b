/**
 * The lip-reading server (ec2-avhubert) as a child process on the CPU, reading and writing
 * the local S3. Its output goes to logs/avhubert.log; it runs in its own process group so
 * stopping it also stops the ffmpeg it started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { NO_MODEL_REASON } from '../../ec2-avhubert/src/config';
import { REPO_ROOT } from '../build/functions';
import { LOCAL_CREDENTIALS } from './config';
import type { ComponentLog } from './logs';

export const AVHUBERT_MAIN = path.join(REPO_ROOT, 'ec2-avhubert', 'src', 'main.ts');
export const TEST_MODEL_DIR = path.join(REPO_ROOT, 'ec2-avhubert', 'models', 'test-model');

export interface AvhubertOptions {
  host: string;
  port: number;
  /** Absent: the server runs without a model, reports it on /health and refuses jobs. */
  modelDir?: string;
  s3Endpoint: string;
  region: string;
  /** The only bucket jobs may name. */
  processedBucket: string;
  /** The shared secret every request must carry. */
  secret: string;
  tmpDir: string;
  log: ComponentLog;
  /** Names the instance role in its requests (local-stack/iam-roles.ts). */
  sessionToken?: string;
  /** How long to wait for GET /health before going on without it. */
  readyTimeoutMs?: number;
}

export interface RunningAvhubert {
  url: string;
  pid: number | undefined;
  /** False when the server did not answer /health in time (lip reading then degrades). */
  ready: boolean;
  close(): Promise<void>;
}

/** Which model the local lip-reading server serves, and what to tell the user about it. */
export type LipReadingModelChoice =
  { kind: 'package'; modelDir: string } | { kind: 'test-model'; modelDir: string } | { kind: 'none'; reason: string };

/**
 * A model package when one is named (GORGGLE_MODEL_DIR, then the stack's modelDir); the
 * generated test model only when asked for it as a plumbing check; otherwise none.
 */
export function chooseLipReadingModel(options: {
  envModelDir?: string;
  modelDir?: string;
  testModel: boolean;
}): LipReadingModelChoice {
  const named = options.envModelDir || options.modelDir;
  if (named) return { kind: 'package', modelDir: named };
  if (options.testModel) return { kind: 'test-model', modelDir: TEST_MODEL_DIR };
  return { kind: 'none', reason: NO_MODEL_REASON };
}

/** Why the server cannot start here, or undefined when it can. */
export function avhubertUnavailableReason(modelDir: string | undefined): string | undefined {
  if (!existsSync(AVHUBERT_MAIN)) return `${AVHUBERT_MAIN} is missing`;
  if (modelDir !== undefined && !existsSync(path.join(modelDir, 'manifest.json'))) {
    return `no model package at ${modelDir} (run \`make models\` for the test model, or fix GORGGLE_MODEL_DIR)`;
  }
  return undefined;
}

async function waitForHealth(url: string, secret: string, child: ChildProcess, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
    try {
      const response = await fetch(`${url}/health`, {
        signal: AbortSignal.timeout(1000),
        headers: { authorization: `Bearer ${secret}` },
      });
      if (response.ok) return true;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

export async function startAvhubert(options: AvhubertOptions): Promise<RunningAvhubert> {
  const { log } = options;
  const port = options.port || (await freePort(options.host));
  const url = `http://${options.host}:${port}`;
  const child = spawn(process.execPath, ['--import', 'tsx', AVHUBERT_MAIN], {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...LOCAL_CREDENTIALS,
      // The instance role's name, so the local S3 answers the server as AWS answers that role.
      ...(options.sessionToken ? { AWS_SESSION_TOKEN: options.sessionToken } : {}),
      AWS_REGION: options.region,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_ENDPOINT_URL_S3: options.s3Endpoint,
      GORGGLE_AVHUBERT_HOST: options.host,
      GORGGLE_AVHUBERT_PORT: String(port),
      GORGGLE_AVHUBERT_ALLOWED_HOSTS: [`127.0.0.1:${port}`, `localhost:${port}`, `${options.host}:${port}`].join(','),
      GORGGLE_AVHUBERT_SECRET: options.secret,
      GORGGLE_PROCESSED_BUCKET: options.processedBucket,
      ...(options.modelDir ? { GORGGLE_MODEL_DIR: options.modelDir } : {}),
      GORGGLE_DEVICE: 'cpu',
      // Never power the machine off, and stop quickly on Ctrl-C.
      GORGGLE_IDLE_SHUTDOWN_MINUTES: '0',
      GORGGLE_SHUTDOWN_GRACE_SECONDS: '1',
      GORGGLE_TMP_DIR: options.tmpDir,
    },
  });
  child.stdout?.pipe(log.stream, { end: false });
  child.stderr?.pipe(log.stream, { end: false });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', (code, signal) => log.info('lip-reading server exited', { code, signal }));
  log.info('lip-reading server starting', { pid: child.pid, url, modelDir: options.modelDir ?? 'none' });

  const ready = await waitForHealth(url, options.secret, child, options.readyTimeoutMs ?? 60_000);
  if (!ready) log.warn('lip-reading server did not answer /health; lip reading will degrade', { url });

  const signalGroup = (signal: NodeJS.Signals) => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // Already gone.
    }
  };
  // If this process dies without stop(), do not leave the server behind.
  const killOnExit = () => signalGroup('SIGKILL');
  process.once('exit', killOnExit);
  return {
    url,
    pid: child.pid,
    ready,
    close: async () => {
      process.removeListener('exit', killOnExit);
      signalGroup('SIGTERM');
      const timer = setTimeout(() => signalGroup('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
