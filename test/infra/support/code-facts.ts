/**
 * What each Lambda bundle can call, derived from the code: esbuild bundles the handler (as
 * scripts/build.ts does, without writing), and the project's own files that reach the output
 * are scanned for AWS SDK commands.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { lambdaBundleOptions } from '../../../scripts/build';
import { REPO_ROOT, type FunctionSpec } from '../../../scripts/build/functions';

export interface SdkCall {
  /** The npm package, e.g. @aws-sdk/client-s3. */
  module: string;
  /** The operation, e.g. HeadObject, or Upload for lib-storage. */
  operation: string;
  /** Repository-relative file that makes the call. */
  file: string;
}

/** IAM service prefixes of the SDK clients whose prefix differs from the package name. */
const IAM_PREFIX: Record<string, string> = { sfn: 'states', 'auto-scaling': 'autoscaling' };

/** Operations whose IAM action is not simply <prefix>:<operation>. */
const SPECIAL_ACTIONS: Record<string, string[]> = {
  's3:HeadObject': ['s3:GetObject'],
  's3:HeadBucket': ['s3:ListBucket'],
  's3:ListObjects': ['s3:ListBucket'],
  's3:ListObjectsV2': ['s3:ListBucket'],
  's3:CopyObject': ['s3:GetObject', 's3:PutObject'],
  's3:DeleteObjects': ['s3:DeleteObject'],
  's3:ListObjectVersions': ['s3:ListBucketVersions'],
  's3:CreateMultipartUpload': ['s3:PutObject'],
  's3:UploadPart': ['s3:PutObject'],
  's3:CompleteMultipartUpload': ['s3:PutObject'],
  // lib-storage's Upload: single PutObject or multipart, all under s3:PutObject.
  's3:Upload': ['s3:PutObject'],
};

/** The IAM actions an SDK call needs. */
export function iamActionsFor(call: Pick<SdkCall, 'module' | 'operation'>): string[] {
  const client = call.module === '@aws-sdk/lib-storage' ? 's3' : call.module.replace(/^@aws-sdk\/client-/, '');
  const prefix = IAM_PREFIX[client] ?? client;
  const action = `${prefix}:${call.operation}`;
  return SPECIAL_ACTIONS[action] ?? [action];
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const SDK_IMPORT = /import\s+(type\s+)?\{([^}]*)\}\s*from\s*['"](@aws-sdk\/(?:client-[a-z0-9-]+|lib-storage))['"]/g;

/** The SDK calls one source file makes: `new XCommand(`, `paginateX(` and `new Upload(`. */
export function sdkCallsInSource(source: string, file: string): SdkCall[] {
  const calls: SdkCall[] = [];
  for (const [, typeOnly, names, module] of source.matchAll(SDK_IMPORT)) {
    if (typeOnly) continue;
    for (const rawName of names!.split(',')) {
      const spec = rawName.trim();
      if (!spec || spec.startsWith('type ')) continue;
      const [imported, local = imported] = spec.split(/\s+as\s+/).map((part) => part.trim());
      const used = (pattern: string) => new RegExp(pattern).test(source);
      const name = escapeRegExp(local!);
      if (imported!.endsWith('Command') && used(`new\\s+${name}\\s*\\(`)) {
        calls.push({ module: module!, operation: imported!.slice(0, -'Command'.length), file });
      } else if (imported!.startsWith('paginate') && used(`\\b${name}\\s*\\(`)) {
        calls.push({ module: module!, operation: imported!.slice('paginate'.length), file });
      } else if (module === '@aws-sdk/lib-storage' && imported === 'Upload' && used(`new\\s+${name}\\s*\\(`)) {
        calls.push({ module: module!, operation: 'Upload', file });
      }
    }
  }
  return calls;
}

/** Repository-relative project files (not node_modules) that contribute code to the bundle. */
export async function bundledProjectFiles(fn: Pick<FunctionSpec, 'name' | 'entry'>): Promise<string[]> {
  const result = await esbuild.build({
    ...lambdaBundleOptions(fn, path.join(os.tmpdir(), 'gorggle-infra-metafile', fn.name, 'index.mjs')),
    absWorkingDir: REPO_ROOT,
    write: false,
    logLevel: 'silent',
  });
  const output = Object.values(result.metafile.outputs).find((candidate) => candidate.entryPoint);
  if (!output) throw new Error(`esbuild produced no entry output for ${fn.name}`);
  return Object.entries(output.inputs)
    .filter(([file, info]) => info.bytesInOutput > 0 && !file.includes('node_modules/') && /\.[cm]?[jt]s$/.test(file))
    .map(([file]) => file)
    .sort();
}

/** Every SDK call the function's bundle contains. */
export async function sdkCallsOfFunction(fn: Pick<FunctionSpec, 'name' | 'entry'>): Promise<SdkCall[]> {
  const files = await bundledProjectFiles(fn);
  return files.flatMap((file) => sdkCallsInSource(readFileSync(path.join(REPO_ROOT, file), 'utf8'), file));
}

/** Every SDK call the lip-reading server's bundle contains (as ec2-avhubert/scripts/bundle.ts builds it). */
export async function sdkCallsOfLipReadingServer(): Promise<SdkCall[]> {
  const result = await esbuild.build({
    entryPoints: [path.join(REPO_ROOT, 'ec2-avhubert', 'src', 'main.ts')],
    outfile: path.join(os.tmpdir(), 'gorggle-infra-metafile', 'avhubert', 'server.mjs'),
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    mainFields: ['module', 'main'],
    external: ['*.node', '@vladmandic/face-api', '@vladmandic/face-api/*', '@tensorflow/*'],
    absWorkingDir: REPO_ROOT,
    metafile: true,
    write: false,
    logLevel: 'silent',
  });
  const output = Object.values(result.metafile.outputs).find((candidate) => candidate.entryPoint);
  if (!output) throw new Error('esbuild produced no entry output for the lip-reading server');
  return Object.entries(output.inputs)
    .filter(([file, info]) => info.bytesInOutput > 0 && !file.includes('node_modules/') && /\.[cm]?[jt]s$/.test(file))
    .map(([file]) => file)
    .sort()
    .flatMap((file) => sdkCallsInSource(readFileSync(path.join(REPO_ROOT, file), 'utf8'), file));
}

/** How iam-requests.ts names an SDK call: the client without "client-" (lib-storage: "storage"), a dot, the operation. */
export function callKey(call: Pick<SdkCall, 'module' | 'operation'>): `${string}.${string}` {
  return `${call.module.replace(/^@aws-sdk\/(client-|lib-)/, '')}.${call.operation}`;
}

/** Required IAM actions, each with the calls that need it (for readable failures). */
export function requiredActions(calls: SdkCall[]): Map<string, string[]> {
  const required = new Map<string, string[]>();
  for (const call of calls) {
    for (const action of iamActionsFor(call)) {
      const because = `${call.operation} in ${call.file}`;
      const list = required.get(action) ?? [];
      if (!list.includes(because)) list.push(because);
      required.set(action, list);
    }
  }
  return required;
}
