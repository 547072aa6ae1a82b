/**
 * Running Terraform from make: find the binary, and a local provider mirror when there is one
 * (an offline machine, CI), with a CLI configuration written at run time, so no path of any
 * one machine is written into the repository.
 *
 * - TF_PROVIDER_MIRROR names a mirror folder (the one holding registry.terraform.io/...);
 *   TF_PLUGIN_MIRROR, the name an earlier test runner read, is taken too.
 * - Otherwise the folders Terraform itself searches, and the usual places packagers put one,
 *   are searched for an unpacked hashicorp/aws provider.
 * - Without a mirror Terraform installs the provider from its registry as usual.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../build/functions';

export const TERRAFORM_DIR = path.join(REPO_ROOT, 'terraform');
/** Per-checkout state of these tools: providers, the CLI configuration. Never committed. */
export const TOOL_DIR = path.join(REPO_ROOT, '.gorggle', 'terraform');

const PROVIDER = path.join('registry.terraform.io', 'hashicorp', 'aws');

export const INSTALL_ADVICE =
  'Install Terraform >= 1.10 (https://developer.hashicorp.com/terraform/install, or `apt-get install terraform` ' +
  "from HashiCorp's Debian repository) and run make again.";

export class TerraformMissingError extends Error {
  override readonly name = 'TerraformMissingError';
}

/** The terraform binary on PATH with its version, or undefined. */
export function findTerraform(env: NodeJS.ProcessEnv = process.env): { binary: string; version: string } | undefined {
  const result = spawnSync('terraform', ['version', '-json'], { encoding: 'utf8', env: withoutCliConfig(env) });
  if (result.error || result.status !== 0) return undefined;
  const version = (JSON.parse(result.stdout) as { terraform_version?: string }).terraform_version ?? 'unknown';
  return { binary: 'terraform', version };
}

/** A CLI config set for some other purpose must not hide the one this tool writes. */
function withoutCliConfig(source: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env = { ...source };
  if (env.TF_CLI_CONFIG_FILE && !existsSync(env.TF_CLI_CONFIG_FILE)) delete env.TF_CLI_CONFIG_FILE;
  return env;
}

/** Whether `root` is a mirror holding an unpacked hashicorp/aws for this platform. */
export function isProviderMirror(root: string): boolean {
  const providerDir = path.join(root, PROVIDER);
  if (!existsSync(providerDir)) return false;
  const platform = `${os.platform()}_${os.arch() === 'x64' ? 'amd64' : os.arch()}`;
  return readdirSync(providerDir).some((version) => existsSync(path.join(providerDir, version, platform)));
}

/** The first folder under `dir` (a few levels down) that is a provider mirror. */
function searchMirror(dir: string, depth: number): string | undefined {
  if (depth < 0 || !existsSync(dir)) return undefined;
  if (isProviderMirror(dir)) return dir;
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return undefined;
  }
  for (const entry of entries.sort()) {
    if (entry === 'node_modules' || entry.startsWith('.git')) continue;
    const child = path.join(dir, entry);
    try {
      if (!statSync(child).isDirectory()) continue;
    } catch {
      continue;
    }
    const found = searchMirror(child, depth - 1);
    if (found) return found;
  }
  return undefined;
}

/** Where a provider mirror is, if anywhere: TF_PROVIDER_MIRROR, then the usual places. */
export function findProviderMirror(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const variable = env.TF_PROVIDER_MIRROR
    ? 'TF_PROVIDER_MIRROR'
    : env.TF_PLUGIN_MIRROR
      ? 'TF_PLUGIN_MIRROR'
      : undefined;
  const named = variable && env[variable];
  if (variable && named) {
    if (!isProviderMirror(named)) {
      throw new TerraformMissingError(`${variable}=${named} holds no ${PROVIDER}/<version>/<platform> folder.`);
    }
    return named;
  }
  const home = os.homedir();
  const dataHome = env.XDG_DATA_HOME ?? path.join(home, '.local', 'share');
  // Terraform's own implied mirror folders, then where images and packagers put plugins.
  const candidates = [
    path.join(home, '.terraform.d', 'plugins'),
    path.join(dataHome, 'terraform', 'plugins'),
    '/usr/local/share/terraform/plugins',
    '/usr/share/terraform/plugins',
  ];
  for (const candidate of candidates) if (isProviderMirror(candidate)) return candidate;
  for (const root of ['/opt', '/usr/local/share', '/usr/local/lib', '/var/lib']) {
    const found = searchMirror(root, 3);
    if (found) return found;
  }
  return findMirrorAnywhere();
}

/** Last resort: the provider binary anywhere on the root file system (a few seconds). */
function findMirrorAnywhere(): string | undefined {
  const result = spawnSync(
    'find',
    [
      '/',
      '-xdev',
      '(',
      '-path',
      '/proc',
      '-o',
      '-path',
      '/sys',
      '-o',
      '-name',
      'node_modules',
      '-o',
      '-name',
      '.git',
      ')',
      '-prune',
      '-o',
      '-type',
      'f',
      '-name',
      'terraform-provider-aws_*',
      '-path',
      `*/${PROVIDER}/*`,
      '-print',
      '-quit',
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  const binary = result.stdout?.trim();
  if (!binary) return undefined;
  // <mirror>/registry.terraform.io/hashicorp/aws/<version>/<platform>/terraform-provider-aws_...
  const mirror = path.resolve(binary, '..', '..', '..', '..', '..', '..');
  return isProviderMirror(mirror) ? mirror : undefined;
}

/**
 * The environment Terraform runs with: its data (providers) under .gorggle/terraform, and a
 * CLI configuration that installs hashicorp/aws from the mirror when there is one.
 */
export function terraformEnvironment(mirror: string | undefined): NodeJS.ProcessEnv {
  mkdirSync(TOOL_DIR, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...withoutCliConfig(),
    TF_DATA_DIR: path.join(TOOL_DIR, 'data'),
    TF_IN_AUTOMATION: '1',
    CHECKPOINT_DISABLE: '1',
  };
  if (mirror) {
    const config = path.join(TOOL_DIR, 'cli.tfrc');
    writeFileSync(
      config,
      [
        '# Written by scripts/deploy/terraform-cli.ts: hashicorp/aws from the local mirror.',
        'provider_installation {',
        '  filesystem_mirror {',
        `    path    = ${JSON.stringify(mirror)}`,
        '    include = ["registry.terraform.io/hashicorp/aws"]',
        '  }',
        '  direct {',
        '    exclude = ["registry.terraform.io/hashicorp/aws"]',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
    env.TF_CLI_CONFIG_FILE = config;
  }
  return env;
}

export interface RunOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Capture stdout instead of passing it through. */
  capture?: boolean;
  /** Let the user answer prompts (stdin from the terminal). */
  interactive?: boolean;
  /** Text written to terraform's stdin (e.g. an expression for `terraform console`). */
  input?: string;
}

/** Runs terraform; rejects with its exit status unless it succeeds. */
export function runTerraform(args: readonly string[], options: RunOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('terraform', args, {
      cwd: options.cwd ?? TERRAFORM_DIR,
      env: options.env,
      stdio: [
        options.interactive ? 'inherit' : options.input !== undefined ? 'pipe' : 'ignore',
        options.capture ? 'pipe' : 'inherit',
        'inherit',
      ],
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`terraform ${args.join(' ')} exited with ${code}`));
    });
  });
}

/** `terraform init` without a backend, from the mirror when there is one. */
export async function initForChecks(env: NodeJS.ProcessEnv): Promise<void> {
  await runTerraform(['init', '-backend=false', '-input=false', '-no-color'], { env, capture: true });
}
