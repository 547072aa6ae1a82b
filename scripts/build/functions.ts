import { readdirSync, existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { locateModel, MODEL_FILES, MODELS_DIR, type ModelFileId } from '../models/weights';
import { STATIC_FFMPEG, STATIC_FFMPEG_DIR, STATIC_FFPROBE } from './static-ffmpeg';

export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');
export const FUNCTIONS_DIR = path.join(REPO_ROOT, 'functions');
export const DIST_DIR = path.join(REPO_ROOT, 'dist', 'functions');

/** Files shipped next to a bundle, beyond the JavaScript itself. */
export interface ExtraFile {
  source: string;
  zipPath: string;
  mode: number;
}

/** The static ffmpeg (scripts/setup/build-ffmpeg.sh) and which source and configuration it is (its licence is the GPL). */
const staticFfmpeg = (): ExtraFile[] => [
  { source: STATIC_FFMPEG, zipPath: 'bin/ffmpeg', mode: 0o755 },
  { source: path.join(STATIC_FFMPEG_DIR, 'BUILD-INFO'), zipPath: 'bin/FFMPEG-BUILD-INFO', mode: 0o644 },
];
const staticFfprobe = (): ExtraFile => ({ source: STATIC_FFPROBE, zipPath: 'bin/ffprobe', mode: 0o755 });

/** Packages the bundles leave external (native code), shipped as node_modules/ in the zip. */
export const EXTERNAL_PACKAGES = ['onnxruntime-node'] as const;

/**
 * onnxruntime-node for Lambda (linux x64): its JavaScript, the N-API binding and the CPU
 * library it links, plus onnxruntime-common. The other platforms' binaries stay out.
 */
async function onnxRuntime(): Promise<ExtraFile[]> {
  const files: ExtraFile[] = [];
  const add = async (pkg: string, keep: (relative: string) => boolean) => {
    const root = path.join(REPO_ROOT, 'node_modules', pkg);
    for (const relative of await readdir(root, { recursive: true })) {
      const source = path.join(root, relative);
      if (!keep(relative.split(path.sep).join('/')) || !(await stat(source)).isFile()) continue;
      files.push({ source, zipPath: path.posix.join('node_modules', pkg, ...relative.split(path.sep)), mode: 0o644 });
    }
  };
  const javascript = (relative: string) =>
    relative === 'LICENSE' || /(^|\/)package\.json$/.test(relative) || /^dist\/.*\.js$/.test(relative);
  await add('onnxruntime-common', javascript);
  await add('onnxruntime-node', (relative) => javascript(relative) || relative.startsWith('bin/napi-v6/linux/x64/'));
  return files.sort((a, b) => a.zipPath.localeCompare(b.zipPath));
}

/** A model file and its upstream licence, under models/ in the zip. */
async function modelFiles(ids: ModelFileId[]): Promise<ExtraFile[]> {
  return Promise.all(
    ids.map(async (id) => ({ source: await locateModel(id), zipPath: `models/${MODEL_FILES[id].file}`, mode: 0o644 })),
  );
}

/** The LR-ASD weights the build converts (make lr-asd); LR_ASD_WEIGHTS picks another file. */
export const LR_ASD_WEIGHTS = process.env.LR_ASD_WEIGHTS ?? 'pretrain_AVA';
export const lrAsdOnnxPath = (weights = LR_ASD_WEIGHTS) => path.join(MODELS_DIR, 'lr-asd', `${weights}.onnx`);

async function lrAsdModel(): Promise<ExtraFile[]> {
  const onnx = lrAsdOnnxPath();
  const manifest = onnx.replace(/\.onnx$/, '.json');
  if (!existsSync(onnx) || !existsSync(manifest)) {
    throw new Error(`${onnx} is missing: run \`make lr-asd\` (make build does) to convert the LR-ASD weights.`);
  }
  return [
    { source: onnx, zipPath: 'models/lr-asd/lr-asd.onnx', mode: 0o644 },
    { source: manifest, zipPath: 'models/lr-asd/lr-asd.json', mode: 0o644 },
    ...(await modelFiles(['lr-asd/LICENSE'])),
  ];
}

/** Files beside each bundle: static ffmpeg (no layer step), models, native packages. */
const EXTRA_FILES: Record<string, () => Promise<ExtraFile[]>> = {
  extract: async () => [
    ...staticFfmpeg(),
    staticFfprobe(),
    ...(await modelFiles(['silero-vad', 'silero-vad/LICENSE'])),
    ...(await onnxRuntime()),
  ],
  'active-speaker': async () => [...staticFfmpeg(), ...(await lrAsdModel()), ...(await onnxRuntime())],
};

const FUNCTIONS_WITH_FFMPEG = new Set(['extract', 'active-speaker']);

export interface FunctionSpec {
  name: string;
  entry: string;
  /** Zips the static ffmpeg: the build checks that it is one pinned build first. */
  shipsFfmpeg: boolean;
  /** Resolved at build time: models may need downloading first. */
  extraFiles: () => Promise<ExtraFile[]>;
}

/** Every functions/<name>/handler.ts is one Lambda. */
export function listFunctions(): FunctionSpec[] {
  return readdirSync(FUNCTIONS_DIR, { withFileTypes: true })
    .filter((dirent) => dirent.isDirectory() && existsSync(path.join(FUNCTIONS_DIR, dirent.name, 'handler.ts')))
    .map((dirent) => ({
      name: dirent.name,
      entry: path.join(FUNCTIONS_DIR, dirent.name, 'handler.ts'),
      shipsFfmpeg: FUNCTIONS_WITH_FFMPEG.has(dirent.name),
      extraFiles: EXTRA_FILES[dirent.name] ?? (() => Promise.resolve([])),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export const bundleDir = (name: string) => path.join(DIST_DIR, name);
export const zipPath = (name: string) => path.join(DIST_DIR, `${name}.zip`);
export const metafilePath = (name: string) => path.join(DIST_DIR, name, 'meta.json');
