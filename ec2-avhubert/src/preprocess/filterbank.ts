/* eslint-disable @typescript-eslint/no-non-null-assertion -- numeric kernels over typed arrays: every index is in range by construction, and `!` keeps the hot loops free of fallbacks. */
/**
 * Audio features of AV-HuBERT: python_speech_features' `logfbank` with its defaults (16 kHz,
 * 25 ms rectangular window, 10 ms hop, 512-point FFT, 26 mel filters over 0-8 kHz,
 * pre-emphasis 0.97, applied to raw int16 sample values), 4 frames stacked to 104-dim at
 * 25 Hz, padded or trimmed to the video's frame count, each vector layer-normalised.
 */
export const SAMPLE_RATE = 16_000;
export const FILTER_COUNT = 26;
export const STACK = 4;
export const AUDIO_FEATURE_DIM = FILTER_COUNT * STACK;

const FRAME_LENGTH = 400;
const FRAME_STEP = 160;
const FFT_SIZE = 512;
const BINS = FFT_SIZE / 2 + 1;
const PRE_EMPHASIS = 0.97;
const FLOAT64_EPSILON = 2.220446049250313e-16;
const LAYER_NORM_EPSILON = 1e-5;

const hzToMel = (hz: number) => 2595 * Math.log10(1 + hz / 700);
const melToHz = (mel: number) => 700 * (10 ** (mel / 2595) - 1);

/** Triangular mel filters, FILTER_COUNT x BINS, as `get_filterbanks`. */
export function melFilterbank(sampleRate = SAMPLE_RATE, filterCount = FILTER_COUNT): Float64Array[] {
  const highMel = hzToMel(sampleRate / 2);
  const bins: number[] = [];
  for (let i = 0; i < filterCount + 2; i++) {
    const mel = (highMel * i) / (filterCount + 1);
    bins.push(Math.floor(((FFT_SIZE + 1) * melToHz(mel)) / sampleRate));
  }
  const filters: Float64Array[] = [];
  for (let j = 0; j < filterCount; j++) {
    const filter = new Float64Array(BINS);
    const [left, centre, right] = [bins[j]!, bins[j + 1]!, bins[j + 2]!];
    for (let i = left; i < centre; i++) filter[i] = (i - left) / (centre - left);
    for (let i = centre; i < right; i++) filter[i] = (right - i) / (right - centre);
    filters.push(filter);
  }
  return filters;
}

/** In-place radix-2 complex FFT of FFT_SIZE points. */
class Fft {
  private readonly cos = new Float64Array(FFT_SIZE / 2);
  private readonly sin = new Float64Array(FFT_SIZE / 2);
  private readonly reversed = new Uint16Array(FFT_SIZE);

  constructor() {
    for (let i = 0; i < FFT_SIZE / 2; i++) {
      this.cos[i] = Math.cos((-2 * Math.PI * i) / FFT_SIZE);
      this.sin[i] = Math.sin((-2 * Math.PI * i) / FFT_SIZE);
    }
    const bits = Math.log2(FFT_SIZE);
    for (let i = 0; i < FFT_SIZE; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      this.reversed[i] = r;
    }
  }

  transform(re: Float64Array, im: Float64Array): void {
    for (let i = 0; i < FFT_SIZE; i++) {
      const j = this.reversed[i]!;
      if (j > i) {
        [re[i], re[j]] = [re[j]!, re[i]!];
        [im[i], im[j]] = [im[j]!, im[i]!];
      }
    }
    for (let size = 2; size <= FFT_SIZE; size *= 2) {
      const half = size / 2;
      const step = FFT_SIZE / size;
      for (let start = 0; start < FFT_SIZE; start += size) {
        for (let k = 0; k < half; k++) {
          const wr = this.cos[k * step]!;
          const wi = this.sin[k * step]!;
          const a = start + k;
          const b = a + half;
          const tr = wr * re[b]! - wi * im[b]!;
          const ti = wr * im[b]! + wi * re[b]!;
          re[b] = re[a]! - tr;
          im[b] = im[a]! - ti;
          re[a]! += tr;
          im[a]! += ti;
        }
      }
    }
  }
}

/**
 * Streaming `logfbank`: push int16 samples as they are decoded, then `finish()` for the
 * FILTER_COUNT log energies of every 10 ms frame (frames x 26, row-major).
 */
export class LogFilterbank {
  private readonly filters = melFilterbank();
  private readonly fft = new Fft();
  private readonly re = new Float64Array(FFT_SIZE);
  private readonly im = new Float64Array(FFT_SIZE);
  private readonly power = new Float64Array(BINS);
  /** Pre-emphasised samples not yet fully consumed by frames. */
  private buffer = new Float64Array(FRAME_LENGTH * 4);
  private buffered = 0;
  private previousSample: number | null = null;
  private totalSamples = 0;
  private readonly rows: Float32Array[] = [];
  private rowCount = 0;

  push(samples: Int16Array): void {
    this.ensureCapacity(this.buffered + samples.length);
    for (const sample of samples) {
      this.buffer[this.buffered++] =
        this.previousSample === null ? sample : sample - PRE_EMPHASIS * this.previousSample;
      this.previousSample = sample;
    }
    this.totalSamples += samples.length;
    let consumed = 0;
    while (this.buffered - consumed >= FRAME_LENGTH) {
      this.emitFrame(consumed);
      consumed += FRAME_STEP;
    }
    this.buffer.copyWithin(0, consumed, this.buffered);
    this.buffered -= consumed;
  }

  /** All frames: `framesig` zero-pads the tail to one last frame. */
  finish(): { frames: number; features: Float32Array } {
    const expected =
      this.totalSamples <= FRAME_LENGTH ? 1 : 1 + Math.ceil((this.totalSamples - FRAME_LENGTH) / FRAME_STEP);
    if (this.totalSamples > 0) {
      let consumed = 0;
      while (this.rowCount < expected) {
        this.ensureCapacity(consumed + FRAME_LENGTH);
        this.buffer.fill(0, Math.max(this.buffered, consumed), consumed + FRAME_LENGTH);
        this.emitFrame(consumed);
        consumed += FRAME_STEP;
      }
    }
    const features = new Float32Array(this.rowCount * FILTER_COUNT);
    this.rows.forEach((row, i) => features.set(row, i * FILTER_COUNT));
    return { frames: this.rowCount, features };
  }

  private emitFrame(start: number): void {
    this.re.fill(0);
    this.im.fill(0);
    this.re.set(this.buffer.subarray(start, start + FRAME_LENGTH));
    this.fft.transform(this.re, this.im);
    for (let i = 0; i < BINS; i++) this.power[i] = (this.re[i]! * this.re[i]! + this.im[i]! * this.im[i]!) / FFT_SIZE;
    const row = new Float32Array(FILTER_COUNT);
    this.filters.forEach((filter, j) => {
      let energy = 0;
      for (let i = 0; i < BINS; i++) energy += filter[i]! * this.power[i]!;
      row[j] = Math.log(energy === 0 ? FLOAT64_EPSILON : energy);
    });
    this.rows.push(row);
    this.rowCount++;
  }

  private ensureCapacity(length: number): void {
    if (length <= this.buffer.length) return;
    const grown = new Float64Array(Math.max(length, this.buffer.length * 2));
    grown.set(this.buffer.subarray(0, this.buffered));
    this.buffer = grown;
  }
}

/**
 * The 104-dim, 25 Hz features of video frames [startFrame, startFrame + frames): four
 * consecutive filterbank frames each, zeros past the end of the audio, layer-normalised.
 */
export function stackedAudioFeatures(
  filterbank: { frames: number; features: Float32Array },
  startFrame: number,
  frames: number,
): Float32Array {
  const out = new Float32Array(frames * AUDIO_FEATURE_DIM);
  for (let f = 0; f < frames; f++) {
    const firstRow = (startFrame + f) * STACK;
    const rows = Math.max(0, Math.min(STACK, filterbank.frames - firstRow));
    const vector = out.subarray(f * AUDIO_FEATURE_DIM, (f + 1) * AUDIO_FEATURE_DIM);
    vector.set(filterbank.features.subarray(firstRow * FILTER_COUNT, (firstRow + rows) * FILTER_COUNT));
    layerNormalise(vector);
  }
  return out;
}

/** Zero mean, unit variance (biased), as torch's F.layer_norm without affine terms. */
export function layerNormalise(vector: Float32Array): void {
  let mean = 0;
  for (const v of vector) mean += v;
  mean /= vector.length;
  let variance = 0;
  for (const v of vector) variance += (v - mean) ** 2;
  variance /= vector.length;
  const scale = 1 / Math.sqrt(variance + LAYER_NORM_EPSILON);
  for (let i = 0; i < vector.length; i++) vector[i] = (vector[i]! - mean) * scale;
}
