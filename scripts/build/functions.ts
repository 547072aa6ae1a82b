import { readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
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

/** The static ffmpeg and ffprobe (scripts/setup/build-ffmpeg.sh), zipped into the extract function (no layer step). */
function ffmpegBinaries(): ExtraFile[] {
  return [
    { source: STATIC_FFMPEG, zipPath: 'bin/ffmpeg', mode: 0o755 },
    { source: STATIC_FFPROBE, zipPath: 'bin/ffprobe', mode: 0o755 },
    // Which source and configuration they are (their licence is the GPL).
    { source: path.join(STATIC_FFMPEG_DIR, 'BUILD-INFO'), zipPath: 'bin/FFMPEG-BUILD-INFO', mode: 0o644 },
  ];
}

const EXTRA_FILES: Record<string, () => ExtraFile[]> = {
  extract: ffmpegBinaries,
};

export interface FunctionSpec {
  name: string;
  entry: string;
  extraFiles: ExtraFile[];
}

/** Every functions/<name>/handler.ts is one Lambda. */
export function listFunctions(): FunctionSpec[] {
  return readdirSync(FUNCTIONS_DIR, { withFileTypes: true })
    .filter((dirent) => dirent.isDirectory() && existsSync(path.join(FUNCTIONS_DIR, dirent.name, 'handler.ts')))
    .map((dirent) => ({
      name: dirent.name,
      entry: path.join(FUNCTIONS_DIR, dirent.name, 'handler.ts'),
      extraFiles: EXTRA_FILES[dirent.name]?.() ?? [],
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export const bundleDir = (name: string) => path.join(DIST_DIR, name);
export const zipPath = (name: string) => path.join(DIST_DIR, `${name}.zip`);
export const metafilePath = (name: string) => path.join(DIST_DIR, name, 'meta.json');
