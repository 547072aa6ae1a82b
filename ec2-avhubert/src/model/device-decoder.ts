/**
 * Seq2seq decoding that keeps the decoder's state on the model's device (the GPU under CUDA):
 * cross-attention keys and values are computed once per chunk (`cross_kv`), the self-attention
 * cache lives in DeviceTensor handles, and only tokens and log-probabilities cross to the host.
 * Chunks submitted while a batch decodes (from one job or several) decode together in the next
 * batch, their beams side by side in one decoder call per step.
 */
import {
  isDeviceTensor,
  type DeviceTensor,
  type RunInput,
  type RunOutput,
  type Tensor,
  type TorchModule,
} from '../../native/index';
import { ModelInputError } from './errors';
import { BeamSearchState, GreedySearchState, type SearchResult, type SearchSettings, type SearchState } from './search';

/** Limits of one decode batch, from the server config (GORGGLE_DECODE_*). */
export interface DecodeBudget {
  /** Device bytes one batch's caches and cross-attention memory may take at their largest. */
  memoryBytes: number;
  /** Chunks decoded side by side at most. */
  maxBatchChunks: number;
}

export const DEFAULT_DECODE_BUDGET: DecodeBudget = { memoryBytes: 2 * 1024 ** 3, maxBatchChunks: 8 };

export interface DecoderShape {
  layers: number;
  heads: number;
  headDim: number;
  /** Bytes per element of the decoder's dtype (4 for float32, 2 for float16/bfloat16). */
  elementBytes: number;
}

export interface DecodeTimings {
  /** Encoder and cross_kv for the whole batch. */
  encodeMs: number;
  /** Decoder steps and search for the whole batch. */
  decodeMs: number;
  /** Decoder calls this chunk took part in. */
  steps: number;
  /** Chunks decoded in the same batch (this one included). */
  batchChunks: number;
}

export interface DeviceDecodeRequest<I> {
  input: I;
  frames: number;
  settings: SearchSettings;
  search: 'beam' | 'greedy';
  signal?: AbortSignal;
}

export interface DeviceDecodeResult extends SearchResult {
  timings: DecodeTimings;
}

/** Runs the encoder on a padded batch and leaves its output [N, T, D] on the device. */
export type EncodeOnDevice<I> = (
  inputs: ReadonlyArray<{ input: I; frames: number }>,
) => Promise<{ encoderOut: DeviceTensor; paddingMask?: Tensor }>;

interface Chunk<I> {
  request: Pending<I>;
  state: SearchState;
  steps: number;
}

interface Pending<I> extends DeviceDecodeRequest<I> {
  rows: number;
  bytes: number;
  resolve(result: DeviceDecodeResult): void;
  reject(error: unknown): void;
}

const abortError = (signal: AbortSignal) =>
  signal.reason instanceof Error ? signal.reason : new Error('The decode was aborted.');

/** Device bytes a chunk needs at its longest: the growing self-attention cache (x3: torch.cat and
 * the beam reorder hold old and new copies at once) and its cross-attention keys and values. */
export function chunkDecodeBytes(shape: DecoderShape, rows: number, frames: number, maxLength: number): number {
  const width = shape.layers * shape.heads * shape.headDim * shape.elementBytes;
  return 3 * 2 * width * rows * (maxLength + 1) + 2 * width * frames;
}

export class DeviceDecoder<I> {
  private readonly queue: Array<Pending<I>> = [];
  private busy = false;

  constructor(
    private readonly decoder: TorchModule,
    private readonly shape: DecoderShape,
    private readonly encode: EncodeOnDevice<I>,
    private readonly budget: DecodeBudget = DEFAULT_DECODE_BUDGET,
  ) {}

  /**
   * Queues a chunk; it decodes in the next batch. Its maximum length is lowered, if need be, so
   * that the chunk alone fits the memory budget; a chunk that cannot fit at all is refused.
   */
  decode(request: DeviceDecodeRequest<I>): Promise<DeviceDecodeResult> {
    if (request.signal?.aborted) return Promise.reject(abortError(request.signal));
    const rows = request.search === 'greedy' ? 1 : request.settings.beam;
    const fixed = chunkDecodeBytes(this.shape, rows, request.frames, 0);
    const perToken = chunkDecodeBytes(this.shape, rows, 0, 1) / 2;
    const affordable = Math.floor((this.budget.memoryBytes - fixed) / perToken) - 1;
    if (affordable < 1) {
      return Promise.reject(
        new ModelInputError(
          `A ${request.frames}-frame chunk at beam ${rows} needs more than the decode memory budget of ` +
            `${Math.round(this.budget.memoryBytes / 2 ** 20)} MiB: raise GORGGLE_DECODE_MEMORY_MB or shorten the chunks.`,
        ),
      );
    }
    const settings = { ...request.settings, maxLength: Math.min(request.settings.maxLength, affordable) };
    return new Promise<DeviceDecodeResult>((resolve, reject) => {
      this.queue.push({
        ...request,
        settings,
        rows,
        bytes: chunkDecodeBytes(this.shape, rows, request.frames, settings.maxLength),
        resolve,
        reject,
      });
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      for (let batch = this.takeBatch(); batch.length > 0; batch = this.takeBatch()) await this.decodeBatch(batch);
    } finally {
      this.busy = false;
    }
  }

  /** The oldest chunk and those queued after it with the same rows, within the budget. */
  private takeBatch(): Array<Pending<I>> {
    const waiting = this.queue.filter((request) => {
      if (request.signal?.aborted) request.reject(abortError(request.signal));
      return !request.signal?.aborted;
    });
    this.queue.length = 0;
    const [head] = waiting;
    if (!head) return [];
    const batch = [head];
    let bytes = head.bytes;
    for (const request of waiting.slice(1)) {
      if (
        batch.length < this.budget.maxBatchChunks &&
        request.rows === head.rows &&
        bytes + request.bytes <= this.budget.memoryBytes
      ) {
        batch.push(request);
        bytes += request.bytes;
      } else {
        this.queue.push(request);
      }
    }
    return batch;
  }

  private async decodeBatch(batch: Array<Pending<I>>): Promise<void> {
    const handles = new Set<DeviceTensor>();
    const own = (output: RunOutput | undefined): DeviceTensor => {
      if (!isDeviceTensor(output))
        throw new ModelInputError('decoder_step.pt returned fewer tensors than its contract.');
      handles.add(output);
      return output;
    };
    const release = (handle: RunInput) => {
      if (!isDeviceTensor(handle)) return;
      handle.dispose();
      handles.delete(handle);
    };
    const { layers, heads, headDim } = this.shape;
    const rows = batch[0]?.rows ?? 1;
    const started = performance.now();
    let encodeMs = 0;
    const finish = (chunk: Chunk<I>) =>
      chunk.request.resolve({
        ...chunk.state.result(),
        timings: {
          encodeMs,
          decodeMs: performance.now() - started - encodeMs,
          steps: chunk.steps,
          batchChunks: batch.length,
        },
      });
    try {
      const { encoderOut, paddingMask } = await this.encode(batch);
      own(encoderOut);
      const crossKv = await this.decoder.runKeeping(
        'cross_kv',
        { encoder_out: encoderOut, ...(paddingMask ? { encoder_padding_mask: paddingMask } : {}) },
        [0, 1, 2],
      );
      let memory = { memory_k: own(crossKv[0]), memory_v: own(crossKv[1]), memory_bias: own(crossKv[2]) };
      release(encoderOut);
      encodeMs = performance.now() - started;

      // In the order of the memory's chunks and of the cache's row groups.
      let active: Array<Chunk<I>> = batch.map((request) => ({
        request,
        state:
          request.search === 'greedy' ? new GreedySearchState(request.settings) : new BeamSearchState(request.settings),
        steps: 0,
      }));
      const empty: Tensor = {
        dtype: 'float32',
        data: new Float32Array(0),
        shape: [layers, batch.length * rows, heads, 0, headDim],
      };
      let cache: { cache_k: RunInput; cache_v: RunInput } = { cache_k: empty, cache_v: empty };
      for (;;) {
        const remaining = active.filter((chunk) => {
          const { signal } = chunk.request;
          if (signal?.aborted) chunk.request.reject(abortError(signal));
          else if (chunk.state.done) finish(chunk);
          else return true;
          return false;
        });
        const first = remaining[0];
        if (!first) break;
        if (remaining.length < active.length) {
          const keep = remaining.map((chunk) => BigInt(active.indexOf(chunk)));
          const selected = await this.decoder.runKeeping(
            'select_memory',
            { ...memory, index: { dtype: 'int64', data: BigInt64Array.from(keep), shape: [keep.length] } },
            [0, 1, 2],
          );
          Object.values(memory).forEach(release);
          memory = { memory_k: own(selected[0]), memory_v: own(selected[1]), memory_bias: own(selected[2]) };
        }
        const tokens: bigint[] = [];
        const origin: bigint[] = [];
        let moved = remaining.length < active.length;
        for (const chunk of remaining) {
          const last = chunk.state.lastTokens();
          const from = chunk.state.origin();
          if (from) moved = true;
          const previousRow = active.indexOf(chunk) * rows;
          for (let row = 0; row < rows; row++) {
            // Rows past the live hypotheses repeat the first: fixed rows per chunk keep chunks aligned.
            const live = row < last.length ? row : 0;
            tokens.push(BigInt(last[live] ?? 0));
            origin.push(BigInt(previousRow + (from?.[row] ?? live)));
          }
        }
        const [logProbs, nextK, nextV] = await this.decoder.runKeeping(
          'step',
          {
            tokens: { dtype: 'int64', data: BigInt64Array.from(tokens), shape: [tokens.length, 1] },
            ...memory,
            ...cache,
            position: { dtype: 'int64', data: BigInt64Array.of(BigInt(first.state.position)), shape: [] },
            ...(moved
              ? { beam_origin: { dtype: 'int64', data: BigInt64Array.from(origin), shape: [origin.length] } }
              : {}),
          },
          [1, 2],
        );
        Object.values(cache).forEach(release);
        cache = { cache_k: own(nextK), cache_v: own(nextV) };
        if (!logProbs || isDeviceTensor(logProbs) || logProbs.dtype !== 'float32') {
          throw new ModelInputError('decoder_step.pt step() must return (log_probs, new_cache_k, new_cache_v).');
        }
        remaining.forEach((chunk, group) => {
          chunk.state.advance(logProbs.data, group * rows);
          chunk.steps++;
        });
        active = remaining;
      }
    } catch (error) {
      for (const request of batch) request.reject(error);
    } finally {
      for (const handle of handles) handle.dispose();
    }
  }
}
