/**
 * Lip-reading models: load a package (manifest.ts), run its TorchScript encoder through the
 * addon, and decode in TypeScript (beam search over decoder_step, or CTC).
 */
import type { Device, DeviceTensor, ModuleDtype, Tensor, TorchModule } from '../../native/index';
import { ctcGreedy, ctcPrefixBeamSearch } from './ctc';
import { DEFAULT_DECODE_BUDGET, DeviceDecoder, type DecodeBudget, type DecodeTimings } from './device-decoder';
import { ModelInputError, ModelPackageError } from './errors';
import type { CtcManifest, ModelManifest, Seq2SeqManifest } from './manifest';
import { openPackage, type LoadedPackage } from './package';
import {
  beamSearch,
  greedySearch,
  sequenceConfidence,
  type DecoderStep,
  type SearchResult,
  type SearchSettings,
} from './search';
import { Vocabulary } from './vocab';

export { ModelInputError, ModelPackageError, type ModelPackageProblem } from './errors';
export { modelManifestSchema, type ModelManifest } from './manifest';
export { DEFAULT_DECODE_BUDGET, type DecodeBudget, type DecodeTimings } from './device-decoder';

export interface ModelInput {
  frames: number;
  /** frames*88*88, normalised with the manifest's mean/std. */
  video?: Float32Array;
  /** frames*104 (frame-major), layer-normalised. */
  audio?: Float32Array;
}

export interface DecodeOptions {
  beam?: number;
  lenPenalty?: number;
  /** Caps the frame-derived maximum number of output tokens. */
  maxLength?: number;
  /** 'beam' (default; beam search, or CTC prefix beam search) or 'greedy' (best token per step). */
  search?: 'beam' | 'greedy';
  /** Checked before every decoder step: an aborted decode stops and rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface LoadOptions {
  device?: Device;
  /**
   * 'device' (default when the package has it, formatVersion 2): caches on the model's device,
   * cross-attention keys and values once per chunk, chunks batched. 'host': the formatVersion 1
   * loop, whose caches cross to the host and back every step (kept to compare against).
   */
  decoder?: 'device' | 'host';
  /** Weights and activations: default float16 on CUDA, float32 on the CPU. */
  dtype?: ModuleDtype;
  /** The decoder's own dtype, when it should differ from `dtype` (e.g. bfloat16 on the CPU). */
  decoderDtype?: ModuleDtype;
  /** Device memory and batch limits of the device decoder. */
  budget?: DecodeBudget;
}

export interface Hypothesis {
  text: string;
  tokens: number[];
  /** exp(mean token log-prob), 0..1; seq2seq counts the final eos too. */
  confidence: number;
  tokenLogProbs: number[];
  /** Device decoder only: how this chunk's batch spent its time. */
  timings?: DecodeTimings;
}

export interface LipReadingModel {
  readonly manifest: ModelManifest;
  readonly name: string;
  readonly mode: 'vsr' | 'avsr';
  /** 'device', 'host' (seq2seq) or 'ctc'. */
  readonly decoderKind: 'device' | 'host' | 'ctc';
  transcribe(input: ModelInput, options?: DecodeOptions): Promise<Hypothesis>;
  dispose(): void;
}

export async function loadModelPackage(dir: string, options: LoadOptions = {}): Promise<LipReadingModel> {
  const device = options.device ?? 'cpu';
  const dtype = options.dtype ?? (device === 'cpu' ? 'float32' : 'float16');
  const loaded = await openPackage(dir, device, { dtype, decoderDtype: options.decoderDtype ?? dtype });
  if (loaded.manifest.output === 'ctc') return new CtcModel(loaded, loaded.manifest);
  const decoder = options.decoder ?? (loaded.deviceDecoder ? 'device' : 'host');
  if (decoder === 'device' && !loaded.deviceDecoder) {
    loaded.encoder.dispose();
    loaded.decoderStep?.dispose();
    throw new ModelPackageError(
      'signature_mismatch',
      `${loaded.manifest.name} (formatVersion ${loaded.manifest.formatVersion}) has no device decoder methods: re-export it with the current export tool.`,
    );
  }
  return new Seq2SeqModel(loaded, loaded.manifest, decoder, options.budget ?? DEFAULT_DECODE_BUDGET);
}

abstract class PackageModel<M extends ModelManifest> implements LipReadingModel {
  protected readonly encoder: TorchModule;
  protected readonly vocabulary: Vocabulary;

  constructor(
    loaded: LoadedPackage,
    readonly manifest: M,
  ) {
    this.encoder = loaded.encoder;
    this.vocabulary = new Vocabulary(
      loaded.pieces,
      manifest.specialIds,
      manifest.output === 'ctc' ? [manifest.ctc.blankId] : [],
    );
  }

  get name(): string {
    return this.manifest.name;
  }

  get mode(): 'vsr' | 'avsr' {
    return this.manifest.mode;
  }

  abstract readonly decoderKind: 'device' | 'host' | 'ctc';

  abstract transcribe(input: ModelInput, options?: DecodeOptions): Promise<Hypothesis>;

  dispose(): void {
    this.encoder.dispose();
  }

  /** Max output tokens from the frame count (upstream AV-HuBERT wrongly uses the audio feature size, 104). */
  protected maxLength(frames: number, options: DecodeOptions): number {
    const { perFrame, offset } = this.manifest.decoding.maxLength;
    const fromFrames = Math.max(1, Math.floor(perFrame * frames + offset));
    return Math.min(fromFrames, options.maxLength ?? Infinity);
  }

  protected beam(options: DecodeOptions): number {
    const beam = options.beam ?? this.manifest.decoding.beam;
    if (!Number.isInteger(beam) || beam < 1) throw new ModelInputError(`beam must be a positive integer, got ${beam}.`);
    return beam;
  }

  /** Checks the input and runs the encoder on [1, T] with absent modalities as zeros. */
  protected async encode(input: ModelInput): Promise<Tensor> {
    this.checkInput(input);
    const [encoded] = await this.encoder.run('forward', this.encoderInputs([input], input.frames));
    if (!encoded) throw new ModelInputError(`${this.name}: the encoder returned no tensor.`);
    return encoded;
  }

  /**
   * The encoder's inputs for a batch padded to `frames`: video [N,1,T,88,88], audio [N,104,T]
   * (absent modalities as zeros), and a padding mask when a clip is shorter than T. Padded
   * frames are zeros, which the first convolution sees exactly as its own zero padding.
   */
  protected encoderInputs(inputs: readonly ModelInput[], frames: number): Record<string, Tensor> {
    const size = this.manifest.input.video.size;
    const audioDim = this.manifest.input.audio.dim;
    const pixels = size * size;
    const count = inputs.length;
    const [only] = inputs;
    const video =
      count === 1 && only?.video && only.frames === frames ? only.video : new Float32Array(count * frames * pixels);
    const audio = new Float32Array(count * audioDim * frames);
    const padding = new BigInt64Array(count * frames);
    inputs.forEach((input, n) => {
      if (input.video && video !== input.video) video.set(input.video, n * frames * pixels);
      // vsr models never see audio, even if the caller has it.
      if (input.audio && this.mode === 'avsr') {
        for (let frame = 0; frame < input.frames; frame++) {
          for (let dim = 0; dim < audioDim; dim++) {
            audio[(n * audioDim + dim) * frames + frame] = input.audio[frame * audioDim + dim] ?? 0;
          }
        }
      }
      padding.fill(1n, n * frames + input.frames, (n + 1) * frames);
    });
    const padded = inputs.some((input) => input.frames < frames);
    return {
      video: { dtype: 'float32', data: video, shape: [count, 1, frames, size, size] },
      audio: { dtype: 'float32', data: audio, shape: [count, audioDim, frames] },
      ...(padded ? { padding_mask: { dtype: 'int64', data: padding, shape: [count, frames] } } : {}),
    };
  }

  protected checkInput(input: ModelInput): void {
    const { frames } = input;
    const size = this.manifest.input.video.size;
    const audioDim = this.manifest.input.audio.dim;
    if (!Number.isInteger(frames) || frames < 1) {
      throw new ModelInputError(`frames must be a positive integer, got ${frames}.`);
    }
    if (!input.video && (this.mode === 'vsr' || !input.audio)) {
      throw new ModelInputError(
        this.mode === 'vsr'
          ? `${this.name} reads lips only (vsr): pass video frames.`
          : `${this.name} needs video, audio or both: pass at least one.`,
      );
    }
    if (input.video && input.video.length !== frames * size * size) {
      throw new ModelInputError(
        `video has ${input.video.length} values; ${frames} frames of ${size}x${size} need ${frames * size * size}.`,
      );
    }
    if (input.audio && input.audio.length !== frames * audioDim) {
      throw new ModelInputError(
        `audio has ${input.audio.length} values; ${frames} frames of ${audioDim} need ${frames * audioDim}.`,
      );
    }
  }
}

class Seq2SeqModel extends PackageModel<Seq2SeqManifest> {
  private readonly decoderStep: TorchModule;
  private readonly deviceDecoder?: DeviceDecoder<ModelInput>;

  constructor(
    loaded: LoadedPackage,
    manifest: Seq2SeqManifest,
    readonly decoderKind: 'device' | 'host',
    budget: DecodeBudget,
  ) {
    super(loaded, manifest);
    if (!loaded.decoderStep)
      throw new ModelPackageError('missing_file', `${manifest.name} has no decoder_step module.`);
    this.decoderStep = loaded.decoderStep;
    if (decoderKind === 'device') {
      const { layers, heads, headDim } = manifest.decoder;
      const elementBytes = loaded.decoderStep.dtype === 'float32' ? 4 : 2;
      this.deviceDecoder = new DeviceDecoder(
        loaded.decoderStep,
        { layers, heads, headDim, elementBytes },
        (batch) => this.encodeOnDevice(batch.map(({ input }) => input)),
        budget,
      );
    }
  }

  async transcribe(input: ModelInput, options: DecodeOptions = {}): Promise<Hypothesis> {
    const beam = this.beam(options);
    const { specialIds, decoder, decoding, vocabSize } = this.manifest;
    const settings: SearchSettings = {
      vocabSize,
      startToken: decoder.startTokenId,
      eos: specialIds.eos,
      bannedTokens: [specialIds.bos, specialIds.pad].filter((id) => id !== specialIds.eos),
      beam,
      lenPenalty: options.lenPenalty ?? decoding.lenPenalty,
      maxLength: this.maxLength(input.frames, options),
    };
    const search = options.search === 'greedy' ? 'greedy' : 'beam';
    let result: SearchResult & { timings?: DecodeTimings };
    if (this.deviceDecoder) {
      this.checkInput(input);
      result = await this.deviceDecoder.decode({
        input,
        frames: input.frames,
        settings,
        search,
        signal: options.signal,
      });
    } else {
      const step = this.stepper(await this.encode(input), options.signal);
      result = search === 'greedy' ? await greedySearch(step, settings) : await beamSearch(step, settings);
    }
    return {
      text: this.vocabulary.detokenize(result.tokens),
      tokens: result.tokens,
      tokenLogProbs: result.tokenLogProbs,
      confidence: sequenceConfidence([...result.tokenLogProbs, result.eosLogProb]),
      ...(result.timings ? { timings: result.timings } : {}),
    };
  }

  /** The encoder on a padded batch, its output left on the device for cross_kv. */
  private async encodeOnDevice(
    inputs: readonly ModelInput[],
  ): Promise<{ encoderOut: DeviceTensor; paddingMask?: Tensor }> {
    const frames = Math.max(...inputs.map((input) => input.frames));
    const encoderInputs = this.encoderInputs(inputs, frames);
    const [encoderOut] = await this.encoder.runKeeping('forward', encoderInputs, [0]);
    if (!encoderOut || 'data' in encoderOut) throw new ModelInputError(`${this.name}: the encoder returned no tensor.`);
    return { encoderOut, paddingMask: encoderInputs.padding_mask };
  }

  /** The host loop: one decoder_step call per search step for all hypotheses; the cache stays in this closure. */
  private stepper(encoderOut: Tensor, signal?: AbortSignal): DecoderStep {
    const { layers, heads, headDim } = this.manifest.decoder;
    const empty: Tensor = { dtype: 'float32', data: new Float32Array(0), shape: [layers, 1, heads, 0, headDim] };
    let cacheK: Tensor = empty;
    let cacheV: Tensor = empty;
    return async (lastTokens, beamOrigin, step) => {
      if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('The decode was aborted.');
      const inputs: Record<string, Tensor> = {
        tokens: { dtype: 'int64', data: BigInt64Array.from(lastTokens, BigInt), shape: [lastTokens.length, 1] },
        encoder_out: encoderOut,
        cache_k: cacheK,
        cache_v: cacheV,
        step: { dtype: 'int64', data: BigInt64Array.of(BigInt(step)), shape: [] },
      };
      if (beamOrigin)
        inputs.beam_origin = {
          dtype: 'int64',
          data: BigInt64Array.from(beamOrigin, BigInt),
          shape: [beamOrigin.length],
        };
      const [logProbs, nextK, nextV] = await this.decoderStep.run('forward', inputs);
      if (logProbs?.dtype !== 'float32' || !nextK || !nextV) {
        throw new ModelInputError(`${this.name}: decoder_step must return (log_probs, new_cache_k, new_cache_v).`);
      }
      cacheK = nextK;
      cacheV = nextV;
      return logProbs.data;
    };
  }

  override dispose(): void {
    super.dispose();
    this.decoderStep.dispose();
  }
}

class CtcModel extends PackageModel<CtcManifest> {
  readonly decoderKind = 'ctc';

  async transcribe(input: ModelInput, options: DecodeOptions = {}): Promise<Hypothesis> {
    const beam = this.beam(options);
    const logProbs = (await this.encode(input)).data as Float32Array;
    const { vocabSize, ctc } = this.manifest;
    const decoded =
      options.search === 'greedy'
        ? ctcGreedy(logProbs, input.frames, vocabSize, ctc.blankId)
        : ctcPrefixBeamSearch(logProbs, input.frames, vocabSize, ctc.blankId, beam);
    const maxLength = this.maxLength(input.frames, options);
    const tokens = decoded.tokens.slice(0, maxLength);
    const tokenLogProbs = decoded.tokenLogProbs.slice(0, maxLength);
    return {
      text: this.vocabulary.detokenize(tokens),
      tokens,
      tokenLogProbs,
      confidence:
        tokens.length > 0
          ? sequenceConfidence(tokenLogProbs)
          : blankConfidence(logProbs, input.frames, vocabSize, ctc.blankId),
    };
  }
}

/** For an empty transcript: how sure the model is that nothing was said (mean blank probability). */
function blankConfidence(logProbs: Float32Array, frames: number, vocabSize: number, blank: number): number {
  let sum = 0;
  for (let frame = 0; frame < frames; frame++) sum += logProbs[frame * vocabSize + blank] ?? 0;
  return Math.min(1, Math.max(0, Math.exp(sum / frames)));
}
