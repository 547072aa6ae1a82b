import { sha256OfFileSync } from './file-hash';
import { UnsupportedMediaError } from '../errors';
import type { PcmAudio } from '../media/wav';
import type { VoiceActivityDetector } from '../speech/voice-activity';
import { onnxRuntime, openSession, type OnnxRuntime, type OnnxSession } from './onnx-runtime';

const SAMPLE_RATE = 16_000;
/** Silero VAD at 16 kHz: 512-sample windows, each seen with the 64 samples before it. */
const WINDOW = 512;
const CONTEXT = 64;
const STATE_SIZE = 128;
/** Audio up to this many windows (8 s) runs as one stream, exactly like Silero's reference loop. */
export const STREAM_WINDOWS = 250;
/** A later stream starts this many windows (1 s) early and drops them: its state has settled by then. */
const WARMUP_WINDOWS = 32;
const MAX_STREAMS = 64;

interface Stream {
  /** First window the stream runs (its warm-up included). */
  from: number;
  /** First window whose probability it reports. */
  reportsFrom: number;
  /** One past its last window. */
  to: number;
}

/**
 * Silero VAD (MIT, snakers4/silero-vad) on onnxruntime. The model is recurrent, so one long
 * file would be thousands of tiny sequential runs; instead the audio is cut into streams that
 * run side by side as one batch, each later stream warming its state up on the second before
 * its part. That keeps the whole pass far under 1% of real time.
 */
export class SileroVoiceActivityDetector implements VoiceActivityDetector {
  readonly windowSec = WINDOW / SAMPLE_RATE;

  private constructor(
    private readonly ort: OnnxRuntime,
    private readonly session: OnnxSession,
    readonly model: { name: 'silero-vad'; sha256: string },
    private readonly streamWindows: number,
  ) {}

  /** `streamWindows`: how long one stream may be (Infinity: the whole file in one, as upstream runs it). */
  static async load(modelPath: string, options: { streamWindows?: number } = {}): Promise<SileroVoiceActivityDetector> {
    const [ort, session] = await Promise.all([onnxRuntime(), openSession(modelPath, { threads: 1 })]);
    const model = { name: 'silero-vad' as const, sha256: sha256OfFileSync(modelPath) };
    return new SileroVoiceActivityDetector(ort, session, model, options.streamWindows ?? STREAM_WINDOWS);
  }

  async speechProbabilities(audio: PcmAudio): Promise<Float32Array> {
    if (audio.sampleRate !== SAMPLE_RATE) {
      throw new UnsupportedMediaError(`Voice activity needs ${SAMPLE_RATE} Hz audio, not ${audio.sampleRate} Hz.`);
    }
    const windows = Math.ceil(audio.samples.length / WINDOW);
    const probabilities = new Float32Array(windows);
    const streams = planStreams(windows, this.streamWindows);
    const batch = streams.length;
    const steps = Math.max(0, ...streams.map((stream) => stream.to - stream.from));
    const { Tensor } = this.ort;
    const sampleRate = new Tensor('int64', BigInt64Array.of(BigInt(SAMPLE_RATE)), []);
    let state = new Tensor('float32', new Float32Array(2 * batch * STATE_SIZE), [2, batch, STATE_SIZE]);
    const input = new Float32Array(batch * (CONTEXT + WINDOW));

    for (let step = 0; step < steps; step++) {
      streams.forEach((stream, row) => fillRow(input, row, audio.samples, stream.from + step));
      const outputs = await this.session.run({
        input: new Tensor('float32', input, [batch, CONTEXT + WINDOW]),
        state,
        sr: sampleRate,
      });
      const speech = outputs.output?.data as Float32Array;
      state = outputs.stateN as typeof state;
      streams.forEach((stream, row) => {
        const window = stream.from + step;
        if (window >= stream.reportsFrom && window < stream.to) probabilities[window] = speech[row] ?? 0;
      });
    }
    return probabilities;
  }
}

export function planStreams(windows: number, streamWindows = STREAM_WINDOWS): Stream[] {
  if (windows === 0) return [];
  const count = Math.max(1, Math.min(MAX_STREAMS, Math.ceil(windows / streamWindows)));
  const length = Math.ceil(windows / count);
  return Array.from({ length: count }, (_, index) => {
    const reportsFrom = index * length;
    return {
      from: Math.max(0, reportsFrom - WARMUP_WINDOWS),
      reportsFrom,
      to: Math.min(windows, reportsFrom + length),
    };
  });
}

/** Row `row` of the batch: the window's 64 samples of context, then its 512, as -1..1 floats (zeros past either end). */
function fillRow(input: Float32Array, row: number, samples: Int16Array, window: number): void {
  const offset = row * (CONTEXT + WINDOW);
  const first = window * WINDOW - CONTEXT;
  for (let index = 0; index < CONTEXT + WINDOW; index++) {
    const sample = first + index;
    input[offset + index] = sample >= 0 && sample < samples.length ? (samples[sample] ?? 0) / 32768 : 0;
  }
}
