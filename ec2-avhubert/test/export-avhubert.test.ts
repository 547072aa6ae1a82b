/**
 * The AV-HuBERT export tool (ec2-avhubert/export/), end to end on synthetic fairseq checkpoints:
 * build them, export them with the real CLI, then replay the Python reference's inputs through
 * the addon and the model loader and compare with the reference's eager outputs.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { loadModule, type Tensor, type TorchModule } from '../native/index';
import { loadModelPackage } from '../src/model/index';
import { ADDON_FILE, AVHUBERT_ROOT } from './model-packages';

const EXPORT_DIR = path.join(AVHUBERT_ROOT, 'export');
const TORCH_PYTHON = process.env.TORCH_PYTHON ?? '/usr/bin/python3';
const TOLERANCE = 1e-4;

interface RawFile {
  file: string;
  shape: number[];
}
interface ReferenceIndex {
  frames: number;
  mode: 'vsr' | 'avsr';
  video: RawFile;
  audio: RawFile;
  encoderOut: RawFile;
  decoderTokens: number[];
  decoderLogProbs: RawFile;
  beam: { first: number; second: number; extensions: number[]; origin: number[] };
  beamLogProbs: RawFile;
  greedyTokens: number[];
  pythonErrors: Record<string, number>;
}
interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function python(script: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      TORCH_PYTHON,
      [path.join(EXPORT_DIR, script), ...args],
      { env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', OMP_NUM_THREADS: '1' }, maxBuffer: 1 << 24 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function pythonOk(script: string, args: string[]): Promise<Run> {
  const run = await python(script, args);
  if (run.code !== 0) throw new Error(`${script} ${args.join(' ')} exited ${run.code}:\n${run.stderr}`);
  return run;
}

const checkpoints = {
  base: { file: 'base-vsr.pt', extra: [] as string[] },
  large: { file: 'large-avsr.pt', extra: ['--sentencepiece-model'] },
};
type Size = keyof typeof checkpoints;

const scratch = mkdtempSync(path.join(tmpdir(), 'gorggle-export-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const at = (...parts: string[]) => path.join(scratch, ...parts);

function exportArgs(size: Size): string[] {
  const { file, extra } = checkpoints[size];
  return [
    '--checkpoint',
    at(file),
    '--out',
    at(`${size}-package`),
    ...(extra.length ? [extra[0] as string, at('spm.model')] : []),
  ];
}

function readRaw(dir: string, raw: RawFile): Float32Array {
  const bytes = readFileSync(path.join(dir, raw.file));
  const data = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  expect(data.length).toBe(raw.shape.reduce((count, size) => count * size, 1));
  return data;
}

/** max |actual - expected| / max |expected| */
function relativeError(actual: Float32Array, expected: Float32Array): number {
  expect(actual.length).toBe(expected.length);
  let difference = 0;
  let scale = 1e-12;
  expected.forEach((value, index) => {
    const gap = Math.abs((actual[index] ?? NaN) - value);
    difference = Number.isNaN(gap) ? Infinity : Math.max(difference, gap);
    scale = Math.max(scale, Math.abs(value));
  });
  return difference / scale;
}

const float = (data: Float32Array, shape: number[]): Tensor => ({ dtype: 'float32', data, shape });
const int64 = (values: number[], shape: number[]): Tensor => ({
  dtype: 'int64',
  data: BigInt64Array.from(values, BigInt),
  shape,
});

let broken: { renamedFrom: string; renamedTo: string; missing: string; missingConfigField: string };
let brokenRuns: Record<'renamed' | 'missing' | 'noHeads', Run>;

beforeAll(async () => {
  if (!existsSync(ADDON_FILE))
    throw new Error(`Missing ${ADDON_FILE}: run \`make native\` in the repository root first.`);
  await pythonOk('make_synthetic_checkpoint.py', ['--out', scratch]);
  broken = JSON.parse(readFileSync(at('broken-keys.json'), 'utf8')) as typeof broken;
  const [, , renamed, missing, noHeads] = await Promise.all([
    pythonOk('export_avhubert.py', exportArgs('base')),
    pythonOk('export_avhubert.py', exportArgs('large')),
    python('export_avhubert.py', ['--checkpoint', at('base-renamed.pt'), '--out', at('renamed-package')]),
    python('export_avhubert.py', ['--checkpoint', at('base-missing.pt'), '--out', at('missing-package')]),
    python('export_avhubert.py', ['--checkpoint', at('base-no-heads.pt'), '--out', at('no-heads-package')]),
  ]);
  brokenRuns = { renamed, missing, noHeads };
  await Promise.all(
    (Object.keys(checkpoints) as Size[]).map((size) =>
      pythonOk('verify_export.py', [
        ...exportArgs(size).map((arg) => (arg === '--out' ? '--package' : arg)),
        '--dump',
        at(`${size}-reference`),
      ]),
    ),
  );
}, 300_000);

describe.each(Object.keys(checkpoints) as Size[])('exported %s checkpoint', (size) => {
  const packageDir = () => at(`${size}-package`);
  const referenceDir = () => at(`${size}-reference`);
  const reference = () => JSON.parse(readFileSync(path.join(referenceDir(), 'index.json'), 'utf8')) as ReferenceIndex;
  const manifest = () => JSON.parse(readFileSync(path.join(packageDir(), 'manifest.json'), 'utf8'));
  const spec = () => JSON.parse(readFileSync(at(checkpoints[size].file.replace('.pt', '.spec.json')), 'utf8'));
  let encoder: TorchModule;
  let decoder: TorchModule;

  beforeAll(async () => {
    encoder = await loadModule(path.join(packageDir(), 'encoder.pt'));
    decoder = await loadModule(path.join(packageDir(), 'decoder_step.pt'));
  });
  afterAll(() => {
    encoder?.dispose();
    decoder?.dispose();
  });

  async function encode(ref: ReferenceIndex): Promise<Tensor> {
    const dir = referenceDir();
    const [out] = await encoder.run('forward', {
      video: float(readRaw(dir, ref.video), ref.video.shape),
      audio: float(readRaw(dir, ref.audio), ref.audio.shape),
    });
    if (!out) throw new Error('encoder.pt returned nothing');
    return out;
  }

  it('writes a manifest with the checkpoint architecture, and the Python checks passed', () => {
    // Prepare
    const expected = spec();
    // Act
    const written = manifest();
    // Assess
    expect(written).toMatchObject({
      mode: size === 'base' ? 'vsr' : 'avsr',
      encoder: { dim: expected.encoder_dim },
      vocabSize: expected.vocab_size,
      decoder: {
        layers: expected.decoder_layers,
        heads: expected.decoder_heads,
        headDim: expected.decoder_dim / expected.decoder_heads,
        startTokenId: 2,
      },
      formatVersion: 2,
      decoding: { beam: 50, lenPenalty: 1, maxLength: { perFrame: 1, offset: 0 } },
      exportedFrom: { encoderLayers: expected.encoder_layers, encoderHeads: expected.encoder_heads },
    });
    expect(Object.values(reference().pythonErrors).every((error) => error < TOLERANCE)).toBe(true);
  });

  it('runs encoder.pt through the addon to the eager reference output (relative error < 1e-4)', async () => {
    // Prepare
    const ref = reference();
    // Act
    const out = await encode(ref);
    // Assess
    expect(out.shape).toEqual(ref.encoderOut.shape);
    expect(relativeError(out.data as Float32Array, readRaw(referenceDir(), ref.encoderOut))).toBeLessThan(TOLERANCE);
  });

  it('decodes step by step with the key/value cache to the full-recomputation log-probs', async () => {
    // Prepare
    const ref = reference();
    const { layers, heads, headDim } = manifest().decoder;
    const expected = readRaw(referenceDir(), ref.decoderLogProbs);
    const vocab = ref.decoderLogProbs.shape[1] as number;
    const encoderOut = await encode(ref);
    let cacheK = float(new Float32Array(0), [layers, 1, heads, 0, headDim]);
    let cacheV = cacheK;
    const errors: number[] = [];
    // Act
    for (const [step, token] of ref.decoderTokens.entries()) {
      const [logProbs, nextK, nextV] = await decoder.run('forward', {
        tokens: int64([token], [1, 1]),
        encoder_out: encoderOut,
        cache_k: cacheK,
        cache_v: cacheV,
        step: int64([step], []),
      });
      if (!logProbs || !nextK || !nextV) throw new Error('decoder_step.pt returned too few tensors');
      expect(nextK.shape).toEqual([layers, 1, heads, step + 1, headDim]);
      errors.push(relativeError(logProbs.data as Float32Array, expected.subarray(step * vocab, (step + 1) * vocab)));
      [cacheK, cacheV] = [nextK, nextV];
    }
    // Assess
    expect(errors).toHaveLength(ref.decoderTokens.length);
    expect(Math.max(...errors)).toBeLessThan(TOLERANCE);
  });

  it('reorders the cache by beam_origin as the beam grows', async () => {
    // Prepare
    const ref = reference();
    const { layers, heads, headDim } = manifest().decoder;
    const encoderOut = await encode(ref);
    const empty = float(new Float32Array(0), [layers, 1, heads, 0, headDim]);
    const step = async (tokens: number[], position: number, cache: Tensor[], origin?: number[]) =>
      decoder.run('forward', {
        tokens: int64(tokens, [tokens.length, 1]),
        encoder_out: encoderOut,
        cache_k: cache[0] as Tensor,
        cache_v: cache[1] as Tensor,
        step: int64([position], []),
        ...(origin ? { beam_origin: int64(origin, [origin.length]) } : {}),
      });
    // Act
    const [, k0, v0] = await step([2], 0, [empty, empty]);
    const [, k1, v1] = await step([ref.beam.first, ref.beam.second], 1, [k0 as Tensor, v0 as Tensor], [0, 0]);
    const [logProbs, k2] = await step(ref.beam.extensions, 2, [k1 as Tensor, v1 as Tensor], ref.beam.origin);
    // Assess
    expect(k2?.shape).toEqual([layers, 3, heads, 3, headDim]);
    expect(relativeError(logProbs?.data as Float32Array, readRaw(referenceDir(), ref.beamLogProbs))).toBeLessThan(
      TOLERANCE,
    );
  });

  it('beam-searches to the same tokens on the device decoder as on the host loop', async () => {
    // Prepare: random weights read random frames; beam 5 and the manifest's 50.
    const ref = reference();
    const [host, device] = await Promise.all([
      loadModelPackage(packageDir(), { decoder: 'host' }),
      loadModelPackage(packageDir()),
    ]);
    try {
      expect(device.decoderKind).toBe('device');
      for (const [frames, beam] of [
        [7, 5],
        [12, 50],
      ] as const) {
        const video = readRaw(referenceDir(), ref.video);
        const input = {
          frames,
          video: Float32Array.from({ length: frames * 88 * 88 }, (_, i) => video[i % video.length]!),
        };
        // Act
        const [before, after] = [await host.transcribe(input, { beam }), await device.transcribe(input, { beam })];
        // Assess
        expect(after.tokens).toEqual(before.tokens);
        expect(after.confidence).toBeCloseTo(before.confidence, 4);
      }
    } finally {
      host.dispose();
      device.dispose();
    }
  });

  it('loads through loadModelPackage and greedy-decodes the reference tokens', async () => {
    // Prepare
    const ref = reference();
    const dir = referenceDir();
    const planar = readRaw(dir, ref.audio); // [1, 104, T] -> frame-major, as the loader takes it
    const audio = new Float32Array(planar.length);
    for (let frame = 0; frame < ref.frames; frame++)
      for (let dim = 0; dim < 104; dim++) audio[frame * 104 + dim] = planar[dim * ref.frames + frame] ?? NaN;
    const model = await loadModelPackage(packageDir());
    try {
      // Act
      const result = await model.transcribe(
        { frames: ref.frames, video: readRaw(dir, ref.video), audio },
        { search: 'greedy' },
      );
      // Assess
      expect(model.mode).toBe(ref.mode);
      expect(result.tokens).toEqual(ref.greedyTokens);
    } finally {
      model.dispose();
    }
  });
});

describe('export of a damaged checkpoint', () => {
  it('names a config field it cannot read from the weights, instead of guessing it', () => {
    // Assess: the decoder's head count was once silently taken as 4 (Large has 8).
    expect(brokenRuns.noHeads.code).toBe(2);
    expect(brokenRuns.noHeads.stderr).toContain(`has no model.${broken.missingConfigField}`);
    expect(existsSync(at('no-heads-package'))).toBe(false);
  });

  it('names the renamed key, both as missing and as unexpected', () => {
    // Assess
    expect(brokenRuns.renamed.code).toBe(2);
    expect(brokenRuns.renamed.stderr).toContain(`missing key(s): ${broken.renamedFrom}`);
    expect(brokenRuns.renamed.stderr).toContain(`unexpected key(s): ${broken.renamedTo}`);
    expect(existsSync(at('renamed-package'))).toBe(false);
  });

  it('names the missing key', () => {
    // Assess
    expect(brokenRuns.missing.code).toBe(2);
    expect(brokenRuns.missing.stderr).toContain(`missing key(s): ${broken.missing}`);
    expect(existsSync(at('missing-package'))).toBe(false);
  });
});
