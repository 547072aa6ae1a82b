import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { loadModelPackage, ModelInputError, ModelPackageError, type LipReadingModel } from '../src/model/index';
import {
  BRIGHT_TEXT,
  DARK_TEXT,
  requireBuiltArtifacts,
  syntheticVideo,
  TEST_CTC_MODEL_DIR,
  TEST_MODEL_DIR,
  VIDEO_SIZE,
} from './model-packages';

const scratchDirs: string[] = [];
afterAll(() => scratchDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A copy of a test package, with `change` applied, in a fresh temp folder. */
function brokenPackage(source: string, change: (dir: string) => void): string {
  const scratch = mkdtempSync(path.join(tmpdir(), 'gorggle-model-'));
  scratchDirs.push(scratch);
  const dir = path.join(scratch, 'package');
  cpSync(source, dir, { recursive: true });
  change(dir);
  return dir;
}

function editManifest(dir: string, edit: (manifest: Record<string, unknown>) => void): void {
  const file = path.join(dir, 'manifest.json');
  const manifest = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(manifest);
  writeFileSync(file, JSON.stringify(manifest));
}

async function loadError(dir: string): Promise<ModelPackageError> {
  const error = await loadModelPackage(dir).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ModelPackageError);
  return error as ModelPackageError;
}

describe('loadModelPackage', () => {
  let seq2seq: LipReadingModel;
  let ctc: LipReadingModel;

  beforeAll(async () => {
    requireBuiltArtifacts();
    [seq2seq, ctc] = await Promise.all([loadModelPackage(TEST_MODEL_DIR), loadModelPackage(TEST_CTC_MODEL_DIR)]);
  });

  afterAll(() => {
    seq2seq?.dispose();
    ctc?.dispose();
  });

  it('loads the seq2seq and ctc test packages with their manifests', () => {
    // Assess
    expect(seq2seq).toMatchObject({ name: 'gorggle-test-seq2seq', mode: 'avsr' });
    expect(seq2seq.manifest).toMatchObject({ output: 'seq2seq', decoder: { layers: 2, heads: 4, headDim: 8 } });
    expect(ctc).toMatchObject({ name: 'gorggle-test-ctc', mode: 'vsr' });
    expect(ctc.manifest).toMatchObject({ output: 'ctc', ctc: { blankId: 0 } });
  });

  it.each([
    ['seq2seq', () => seq2seq],
    ['ctc', () => ctc],
  ])('reads what the %s test model was trained to read', async (_kind, model) => {
    // Prepare
    const frames = 30;

    // Act
    const bright = await model().transcribe({ frames, video: syntheticVideo(frames, 0.6, 11) });
    const dark = await model().transcribe({ frames, video: syntheticVideo(frames, -0.6, 12) });

    // Assess
    expect(bright.text).toBe(BRIGHT_TEXT);
    expect(dark.text).toBe(DARK_TEXT);
    expect(bright.tokenLogProbs).toHaveLength(bright.tokens.length);
    expect(bright.confidence).toBeGreaterThan(0.5);
    expect(bright.confidence).toBeLessThanOrEqual(1);
  });

  it('takes the maximum output length from the frame count, not the feature size', async () => {
    // Prepare: 4 frames allow 4 tokens (perFrame 1, offset 0), then eos is forced
    const frames = 4;

    // Act
    const result = await seq2seq.transcribe({ frames, video: syntheticVideo(frames, 0.6, 13) });

    // Assess
    expect(result.tokens).toHaveLength(4);
    expect(result.text).toBe('BIN BLUE AT F');
  });

  it('rejects input that does not fit the model', async () => {
    // Act / Assess
    await expect(ctc.transcribe({ frames: 2 })).rejects.toThrow(
      new ModelInputError('gorggle-test-ctc reads lips only (vsr): pass video frames.'),
    );
    await expect(seq2seq.transcribe({ frames: 2, video: new Float32Array(VIDEO_SIZE * VIDEO_SIZE) })).rejects.toThrow(
      /video has 7744 values; 2 frames of 88x88 need 15488/,
    );
    await expect(seq2seq.transcribe({ frames: 0, audio: new Float32Array(0) })).rejects.toThrow(
      /frames must be a positive integer/,
    );
  });

  it('names a missing file and what makes it', async () => {
    // Prepare
    const dir = brokenPackage(TEST_MODEL_DIR, (target) => rmSync(path.join(target, 'decoder_step.pt')));

    // Act
    const error = await loadError(dir);

    // Assess
    expect(error.reason).toBe('missing_file');
    expect(error.message).toContain('has no decoder_step.pt (the TorchScript decoder step)');
    expect(error.message).toContain('`make models`');
  });

  it('says so when the package folder does not exist', async () => {
    // Act
    const error = await loadError(path.join(tmpdir(), 'gorggle-no-such-package'));

    // Assess
    expect(error.reason).toBe('missing_file');
    expect(error.message).toMatch(/Model package folder .*gorggle-no-such-package does not exist/);
  });

  it('rejects a manifest that breaks the schema, naming the field', async () => {
    // Prepare
    const dir = brokenPackage(TEST_MODEL_DIR, (target) =>
      editManifest(target, (manifest) => {
        manifest.decoding = { beam: 0, lenPenalty: 1, maxLength: { perFrame: 1, offset: 0 } };
      }),
    );

    // Act
    const error = await loadError(dir);

    // Assess
    expect(error.reason).toBe('bad_manifest');
    expect(error.message).toMatch(/does not match the package contract/);
    expect(error.message).toContain('decoding.beam');
  });

  it('rejects a vocabulary that disagrees with the manifest', async () => {
    // Prepare
    const dir = brokenPackage(TEST_CTC_MODEL_DIR, (target) =>
      writeFileSync(path.join(target, 'vocab.txt'), '<s>\n<pad>\n</s>\n<unk>\nA\n'),
    );

    // Act
    const error = await loadError(dir);

    // Assess
    expect(error.reason).toBe('bad_manifest');
    expect(error.message).toContain(`has 5 pieces but manifest.json says vocabSize ${ctc.manifest.vocabSize}.`);
  });

  it('rejects an output type it cannot decode', async () => {
    // Prepare
    const dir = brokenPackage(TEST_MODEL_DIR, (target) =>
      editManifest(target, (manifest) => {
        manifest.output = 'rnnt';
      }),
    );

    // Act
    const error = await loadError(dir);

    // Assess
    expect(error.reason).toBe('unsupported_output');
    expect(error.message).toContain('declares output "rnnt"; this server decodes "seq2seq" or "ctc"');
  });

  it('catches an encoder whose output does not match the manifest', async () => {
    // Prepare
    const dir = brokenPackage(TEST_MODEL_DIR, (target) =>
      editManifest(target, (manifest) => {
        manifest.encoder = { dim: 48 };
      }),
    );

    // Act
    const error = await loadError(dir);

    // Assess
    expect(error.reason).toBe('shape_mismatch');
    expect(error.message).toContain(
      'encoder.pt returned [1, 2, 32] for a 2-frame input; manifest.json expects [1, 2, 48] (encoder.dim)',
    );
  });

  it('catches a decoder cache layout that does not match the manifest', async () => {
    // Prepare
    const dir = brokenPackage(TEST_MODEL_DIR, (target) =>
      editManifest(target, (manifest) => {
        manifest.decoder = { layers: 2, heads: 2, headDim: 16, startTokenId: 2 };
      }),
    );

    // Act
    const error = await loadError(dir);

    // Assess
    expect(error.reason).toBe('shape_mismatch');
    expect(error.message).toMatch(/decoder_step/);
  });
});
