/**
 * Third-party model files (MIT) the project runs: Silero VAD and the LR-ASD weights. They are
 * read in place from ../shared/models when it is there (never copied into the repository);
 * otherwise they are downloaded once from their upstream commits into .gorggle/models/downloads.
 * Either way the sha256 must match, so everyone runs the same bytes.
 *
 * CLI: `tsx scripts/models/weights.ts path <id>` prints the file's path (downloading it if needed).
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');

/** ../shared beside the checkout, as the GRID fixtures are. */
export const SHARED_MODELS_DIR = path.resolve(REPO_ROOT, '..', 'shared', 'models');
export const MODELS_DIR = path.join(REPO_ROOT, '.gorggle', 'models');
export const DOWNLOADS_DIR = path.join(MODELS_DIR, 'downloads');

const LR_ASD_COMMIT = '1b6dcd2d8fc2895683de6508ec6294ec47d388ca';
const SILERO_COMMIT = '806dcba3f0b5d95282d0889a074954a2f8c6397b';
const lrAsdUrl = (file: string) => `https://raw.githubusercontent.com/Junhua-Liao/LR-ASD/${LR_ASD_COMMIT}/${file}`;
const sileroUrl = (file: string) => `https://raw.githubusercontent.com/snakers4/silero-vad/${SILERO_COMMIT}/${file}`;

export interface ModelFile {
  /** Path under ../shared/models (and under the downloads folder). */
  file: string;
  sha256: string;
  url: string;
}

/** Every model file, with its upstream licence beside it (the licence travels with the weights). */
export const MODEL_FILES = {
  'silero-vad': {
    file: 'silero-vad/silero_vad.onnx',
    sha256: '1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3',
    url: sileroUrl('src/silero_vad/data/silero_vad.onnx'),
  },
  'silero-vad/LICENSE': {
    file: 'silero-vad/LICENSE',
    sha256: '2e63e9a38b6e8fc0c7bc37ce174caca1862870856c6daf5697cfb785e925520b',
    url: sileroUrl('LICENSE'),
  },
  'lr-asd/pretrain_AVA': {
    file: 'lr-asd/pretrain_AVA.model',
    sha256: '85e6c77fc981595234790d1e128ebb60352d37726b2445e0ef8891e2512fe9e3',
    url: lrAsdUrl('weight/pretrain_AVA.model'),
  },
  'lr-asd/finetuning_TalkSet': {
    file: 'lr-asd/finetuning_TalkSet.model',
    sha256: '6b4ef53694e874e96cf630198dc479c78aebb3993bbf166aee3d926dfe7d9342',
    url: lrAsdUrl('weight/finetuning_TalkSet.model'),
  },
  'lr-asd/LICENSE': {
    file: 'lr-asd/LICENSE',
    sha256: '1ea9714e15424fb28d551675751172ba635b45c9d137a203a9988937e8215931',
    url: lrAsdUrl('LICENSE'),
  },
} as const satisfies Record<string, ModelFile>;

export type ModelFileId = keyof typeof MODEL_FILES;

export const isModelFileId = (id: string): id is ModelFileId => Object.hasOwn(MODEL_FILES, id);

export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export class ModelFileError extends Error {
  override readonly name = 'ModelFileError';
}

export interface LocateOptions {
  sharedModelsDir?: string;
  downloadsDir?: string;
  /** Injected for tests; the global fetch by default. */
  fetch?: typeof fetch;
}

/**
 * The path of a verified copy of `model`: the shared folder's when its sha256 matches,
 * else a download (kept for next time). A mismatch anywhere is an error, never a silent swap.
 */
export async function locateModelFile(model: ModelFile, options: LocateOptions = {}): Promise<string> {
  const shared = path.join(options.sharedModelsDir ?? SHARED_MODELS_DIR, model.file);
  if (existsSync(shared)) {
    const actual = await sha256OfFile(shared);
    if (actual !== model.sha256) {
      throw new ModelFileError(
        `${shared} has sha256 ${actual}, not ${model.sha256}: the shared copy differs from upstream. Restore it, or remove it to download the file.`,
      );
    }
    return shared;
  }
  const downloaded = path.join(options.downloadsDir ?? DOWNLOADS_DIR, model.file);
  if (existsSync(downloaded) && (await sha256OfFile(downloaded)) === model.sha256) return downloaded;
  await download(model, downloaded, options.fetch ?? fetch);
  return downloaded;
}

async function download(model: ModelFile, target: string, fetchImpl: typeof fetch): Promise<void> {
  let body: Buffer;
  try {
    const response = await fetchImpl(model.url, { signal: AbortSignal.timeout(300_000) });
    if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
    body = Buffer.from(await response.arrayBuffer());
  } catch (error) {
    throw new ModelFileError(
      `Could not download ${model.url} (${error instanceof Error ? error.message : String(error)}). ` +
        `Put the file at ${path.join(SHARED_MODELS_DIR, model.file)} or check the network.`,
    );
  }
  const actual = createHash('sha256').update(body).digest('hex');
  if (actual !== model.sha256) {
    throw new ModelFileError(`${model.url} has sha256 ${actual}, not ${model.sha256}: refusing it.`);
  }
  await mkdir(path.dirname(target), { recursive: true });
  const staging = `${target}.download-${process.pid}`;
  await writeFile(staging, body);
  await rename(staging, target).catch(async (error: unknown) => {
    await rm(staging, { force: true });
    throw error;
  });
}

export const locateModel = (id: ModelFileId, options?: LocateOptions) => locateModelFile(MODEL_FILES[id], options);

async function main(args: string[]): Promise<void> {
  const [command, id = ''] = args;
  if (command === 'path' && isModelFileId(id)) {
    console.log(await locateModel(id));
    return;
  }
  if (command === 'sha256' && isModelFileId(id)) {
    console.log(MODEL_FILES[id].sha256);
    return;
  }
  throw new Error(`usage: weights.ts path|sha256 <${Object.keys(MODEL_FILES).join('|')}>`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
