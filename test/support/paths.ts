import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';

export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');

/** Real GRID clips live beside the repository and are never copied into it. */
export const GRID_DIR = path.resolve(REPO_ROOT, '..', 'shared', 'fixtures', 'grid');

/**
 * Whether the GRID clips are there, for suites that need them. Without them such a suite
 * skips on a developer's machine, but fails in CI (CI=true): a run that skipped them must
 * not report success.
 */
export function gridAvailable(): boolean {
  if (existsSync(GRID_DIR)) return true;
  if (/^(1|true|yes)$/i.test(process.env.CI ?? '')) {
    throw new Error(
      `The GRID clips are missing from ${GRID_DIR}, and CI=true: put ../shared/fixtures/grid beside the checkout.`,
    );
  }
  return false;
}
export const gridClip = (name: string) => path.join(GRID_DIR, name);
/** Builds a 6 s two-person video from two GRID clips (../shared/tools; read in place). */
export const TWO_SPEAKER_TOOL = path.resolve(REPO_ROOT, '..', 'shared', 'tools', 'make-two-speaker-clip.sh');

/** The static ffmpeg/ffprobe (`make ffmpeg`): the very binaries the extract zip carries. */
export const FFMPEG_DIR_FOR_TESTS = path.join(REPO_ROOT, '.gorggle', 'ffmpeg');
export const FFPROBE_DIR_FOR_TESTS = FFMPEG_DIR_FOR_TESTS;

/** Files people should look at after a run (PNGs, screenshots) go here; git ignores it. */
export function testOutputDir(...parts: string[]): string {
  const dir = path.join(REPO_ROOT, 'test-output', ...parts);
  mkdirSync(dir, { recursive: true });
  return dir;
}
