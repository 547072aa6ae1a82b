/** Paths of the addon and the generated test model packages, shared by the ec2-avhubert tests. */
import { existsSync } from 'node:fs';
import path from 'node:path';

export const AVHUBERT_ROOT = path.resolve(import.meta.dirname, '..');
export const ADDON_FILE = path.join(AVHUBERT_ROOT, 'native', 'build', 'Release', 'gorggle_torch.node');
export const TEST_MODEL_DIR = path.join(AVHUBERT_ROOT, 'models', 'test-model');
export const TEST_CTC_MODEL_DIR = path.join(AVHUBERT_ROOT, 'models', 'test-model-ctc');
export const VIDEO_SIZE = 88;
export const AUDIO_DIM = 104;

/** What the test models were trained to read (models/make_test_model.py). */
export const BRIGHT_TEXT = 'BIN BLUE AT F TWO NOW';
export const DARK_TEXT = 'PLACE RED AT G NINE AGAIN';

/** Tests never build: a missing artefact is a failure that says what to run. */
export function requireBuiltArtifacts(): void {
  const missing = [
    ADDON_FILE,
    path.join(TEST_MODEL_DIR, 'manifest.json'),
    path.join(TEST_CTC_MODEL_DIR, 'manifest.json'),
  ].filter((file) => !existsSync(file));
  if (missing.length > 0) {
    throw new Error(`Missing ${missing.join(', ')}: run \`make native models\` in the repository root first.`);
  }
}

/** Deterministic noisy frames around `level` (normalised pixel units): > 0 bright, < 0 dark. */
export function syntheticVideo(frames: number, level: number, seed = 1): Float32Array {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const video = new Float32Array(frames * VIDEO_SIZE * VIDEO_SIZE);
  for (let i = 0; i < video.length; i++) video[i] = level + (random() - 0.5) * 1.7;
  return video;
}
