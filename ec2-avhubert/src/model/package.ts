/** Loads and checks a model package folder (see manifest.ts for the contract). */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import * as z from 'zod';

import { loadModule, type Device, type ModuleDtype, type Tensor, type TorchModule } from '../../native/index';
import { ModelPackageError } from './errors';
import {
  DECODER_STEP_INPUTS,
  DEVICE_DECODER_METHODS,
  ENCODER_INPUTS,
  OUTPUT_TYPES,
  modelManifestSchema,
  type ModelManifest,
} from './manifest';
import { parseVocabulary } from './vocab';

const HOW_TO_MAKE = 'Test packages are made by `make models`; real ones by the AV-HuBERT export tool.';
const PROBE_FRAMES = 2;

export interface LoadedPackage {
  manifest: ModelManifest;
  pieces: string[];
  encoder: TorchModule;
  decoderStep?: TorchModule;
  /** decoder_step.pt has the device decoder's methods (formatVersion 2). */
  deviceDecoder: boolean;
}

function requireFile(dir: string, name: string, role: string): string {
  const file = path.join(dir, name);
  if (!existsSync(file) || !statSync(file).isFile()) {
    throw new ModelPackageError('missing_file', `Model package ${dir} has no ${name} (${role}). ${HOW_TO_MAKE}`);
  }
  return file;
}

export function readManifest(dir: string): ModelManifest {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new ModelPackageError('missing_file', `Model package folder ${dir} does not exist. ${HOW_TO_MAKE}`);
  }
  const file = requireFile(dir, 'manifest.json', 'the package manifest');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ModelPackageError('bad_manifest', `${file} is not valid JSON: ${(error as Error).message}`);
  }
  const output = (raw as { output?: unknown } | null)?.output;
  if (typeof output === 'string' && !(OUTPUT_TYPES as readonly string[]).includes(output)) {
    throw new ModelPackageError(
      'unsupported_output',
      `${file} declares output ${JSON.stringify(output)}; this server decodes ${OUTPUT_TYPES.map((type) => `"${type}"`).join(' or ')}. ` +
        'Re-export the model with one of those heads.',
    );
  }
  const parsed = modelManifestSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ModelPackageError(
      'bad_manifest',
      `${file} does not match the package contract:\n${z.prettifyError(parsed.error)}`,
    );
  }
  return parsed.data;
}

function readPieces(dir: string, manifest: ModelManifest): string[] {
  const file = requireFile(dir, manifest.files.vocab, 'the SentencePiece vocabulary');
  const pieces = parseVocabulary(readFileSync(file, 'utf8'));
  if (pieces.length !== manifest.vocabSize) {
    throw new ModelPackageError(
      'bad_manifest',
      `${file} has ${pieces.length} pieces but manifest.json says vocabSize ${manifest.vocabSize}.`,
    );
  }
  const ids = { ...manifest.specialIds, ...(manifest.output === 'ctc' ? { blank: manifest.ctc.blankId } : {}) };
  const outOfRange = Object.entries(ids).filter(([, id]) => id >= pieces.length);
  if (outOfRange.length > 0) {
    throw new ModelPackageError(
      'bad_manifest',
      `manifest.json special ids ${outOfRange.map(([name, id]) => `${name}=${id}`).join(', ')} are outside vocab.txt (${pieces.length} pieces).`,
    );
  }
  return pieces;
}

async function load(file: string, device: Device, dtype: ModuleDtype): Promise<TorchModule> {
  try {
    return await loadModule(file, device, { dtype });
  } catch (error) {
    throw new ModelPackageError('load_failed', `Cannot load ${file} on ${device}: ${(error as Error).message}`);
  }
}

function checkSignature(module: TorchModule, file: string, required: readonly string[], method = 'forward'): void {
  if (!module.methods().includes(method)) {
    throw new ModelPackageError(
      'signature_mismatch',
      `${file} has no ${method} method: see ec2-avhubert/src/model/manifest.ts for the contract.`,
    );
  }
  const names = module.signature(method).map((arg) => arg.name);
  const missing = required.filter((name) => !names.includes(name));
  if (missing.length > 0) {
    throw new ModelPackageError(
      'signature_mismatch',
      `${file} ${method}(${names.join(', ')}) lacks ${missing.join(', ')}: see ec2-avhubert/src/model/manifest.ts for the contract.`,
    );
  }
}

const sameShape = (actual: number[], expected: number[]) =>
  actual.length === expected.length && actual.every((size, i) => size === expected[i]);

function expectShape(what: string, tensor: Tensor | undefined, expected: number[], meaning: string): Tensor {
  if (!tensor || !sameShape(tensor.shape, expected)) {
    throw new ModelPackageError(
      'shape_mismatch',
      `${what} returned [${tensor?.shape.join(', ') ?? 'nothing'}] for a ${PROBE_FRAMES}-frame input; ` +
        `manifest.json expects [${expected.join(', ')}] (${meaning}). Fix the manifest or re-export the model.`,
    );
  }
  return tensor;
}

function checkLogProbs(what: string, data: Float32Array, vocabSize: number): void {
  let total = -Infinity;
  for (let token = 0; token < vocabSize; token++) {
    const value = data[token] ?? -Infinity;
    const max = Math.max(total, value);
    total = max === -Infinity ? -Infinity : max + Math.log(Math.exp(total - max) + Math.exp(value - max));
  }
  if (!(Math.abs(total) < 1e-3)) {
    throw new ModelPackageError(
      'output_mismatch',
      `${what} must return log-probabilities (log_softmax), but a row sums to exp(${total.toFixed(4)}).`,
    );
  }
}

/** Runs the modules once on a tiny input so a package that disagrees with its manifest fails at load. */
async function probe(loaded: LoadedPackage): Promise<void> {
  const { manifest, encoder, decoderStep } = loaded;
  const size = manifest.input.video.size;
  const encoderOut = await encoder
    .run('forward', {
      video: {
        dtype: 'float32',
        data: new Float32Array(PROBE_FRAMES * size * size),
        shape: [1, 1, PROBE_FRAMES, size, size],
      },
      audio: {
        dtype: 'float32',
        data: new Float32Array(PROBE_FRAMES * manifest.input.audio.dim),
        shape: [1, manifest.input.audio.dim, PROBE_FRAMES],
      },
    })
    .catch((error: Error) => {
      throw new ModelPackageError(
        'shape_mismatch',
        `encoder.pt fails on a ${PROBE_FRAMES}-frame input: ${error.message}`,
      );
    });
  if (manifest.output === 'ctc') {
    const logits = expectShape('encoder.pt', encoderOut[0], [1, PROBE_FRAMES, manifest.vocabSize], 'vocabSize');
    checkLogProbs('encoder.pt (ctc)', logits.data as Float32Array, manifest.vocabSize);
    return;
  }
  const encoded = expectShape('encoder.pt', encoderOut[0], [1, PROBE_FRAMES, manifest.encoder.dim], 'encoder.dim');
  const { layers, heads, headDim, startTokenId } = manifest.decoder;
  const emptyCache: Tensor = { dtype: 'float32', data: new Float32Array(0), shape: [layers, 1, heads, 0, headDim] };
  if (!decoderStep) throw new ModelPackageError('missing_file', 'a seq2seq package needs decoder_step.pt');
  const outputs = await decoderStep
    .run('forward', {
      tokens: { dtype: 'int64', data: BigInt64Array.of(BigInt(startTokenId)), shape: [1, 1] },
      encoder_out: encoded,
      cache_k: emptyCache,
      cache_v: emptyCache,
      step: { dtype: 'int64', data: BigInt64Array.of(0n), shape: [] },
    })
    .catch((error: Error) => {
      throw new ModelPackageError('shape_mismatch', `decoder_step.pt fails on its first step: ${error.message}`);
    });
  const logProbs = expectShape('decoder_step.pt log_probs', outputs[0], [1, manifest.vocabSize], 'vocabSize');
  const cache = [layers, 1, heads, 1, headDim];
  expectShape('decoder_step.pt new_cache_k', outputs[1], cache, 'decoder layers, heads, headDim');
  expectShape('decoder_step.pt new_cache_v', outputs[2], cache, 'decoder layers, heads, headDim');
  checkLogProbs('decoder_step.pt', logProbs.data as Float32Array, manifest.vocabSize);
}

export async function openPackage(
  dir: string,
  device: Device,
  dtypes: { dtype: ModuleDtype; decoderDtype: ModuleDtype } = { dtype: 'float32', decoderDtype: 'float32' },
): Promise<LoadedPackage> {
  const manifest = readManifest(dir);
  const pieces = readPieces(dir, manifest);
  const encoderFile = requireFile(dir, manifest.files.encoder, 'the TorchScript encoder');
  const decoderFile =
    manifest.output === 'seq2seq'
      ? requireFile(dir, manifest.files.decoderStep, 'the TorchScript decoder step')
      : undefined;
  const loaded: LoadedPackage = {
    manifest,
    pieces,
    encoder: await load(encoderFile, device, dtypes.dtype),
    deviceDecoder: false,
  };
  try {
    checkSignature(loaded.encoder, encoderFile, ENCODER_INPUTS);
    if (decoderFile) {
      loaded.decoderStep = await load(decoderFile, device, dtypes.decoderDtype);
      checkSignature(loaded.decoderStep, decoderFile, DECODER_STEP_INPUTS);
      if (manifest.formatVersion >= 2) {
        for (const [method, args] of Object.entries(DEVICE_DECODER_METHODS)) {
          checkSignature(loaded.decoderStep, decoderFile, args, method);
        }
        loaded.deviceDecoder = true;
      }
    }
    await probe(loaded);
    return loaded;
  } catch (error) {
    loaded.encoder.dispose();
    loaded.decoderStep?.dispose();
    throw error;
  }
}
