/**
 * MFCCs exactly as python_speech_features' `mfcc` computes them with its defaults, which is
 * what LR-ASD was trained on: 25 ms frames every 10 ms, pre-emphasis 0.97, no window, a
 * 512-point power spectrum, 26 triangular mel filters from 0 Hz to Nyquist, the log, an
 * orthonormal DCT-II keeping 13 coefficients, a sine lifter of 22, and the log frame energy
 * in place of the first coefficient. Samples are int16 values, not -1..1.
 */

export const MFCC_SAMPLE_RATE = 16_000;
export const MFCC_COEFFICIENTS = 13;
/** 10 ms: 100 rows a second, 4 per 25 fps video frame. */
export const MFCC_STEP = 160;
const FRAME = 400;
const NFFT = 512;
const BINS = NFFT / 2 + 1;
const FILTERS = 26;
const PRE_EMPHASIS = 0.97;
const LIFTER = 22;
/** numpy.finfo(float).eps: what python_speech_features puts in place of a zero before the log. */
const EPS = 2.220446049250313e-16;

const hzToMel = (hz: number) => 2595 * Math.log10(1 + hz / 700);
const melToHz = (mel: number) => 700 * (10 ** (mel / 2595) - 1);

interface Triangle {
  /** First FFT bin with a weight; weights[i] is for bin from + i. */
  from: number;
  weights: Float64Array;
}

/** The mel filters, on FFT bins rounded down as python_speech_features rounds them. */
function melFilterbank(): Triangle[] {
  const top = hzToMel(MFCC_SAMPLE_RATE / 2);
  const bins = Array.from({ length: FILTERS + 2 }, (_, index) =>
    Math.floor(((NFFT + 1) * melToHz((top * index) / (FILTERS + 1))) / MFCC_SAMPLE_RATE),
  );
  return Array.from({ length: FILTERS }, (_, filter) => {
    const [left = 0, centre = 0, right = 0] = bins.slice(filter, filter + 3);
    const weights = new Float64Array(Math.max(0, right - left));
    for (let bin = left; bin < centre; bin++) weights[bin - left] = (bin - left) / (centre - left);
    for (let bin = centre; bin < right; bin++) weights[bin - left] = (right - bin) / (right - centre);
    return { from: left, weights };
  });
}

/** Rows of the orthonormal DCT-II matrix (scipy's norm='ortho'), the first 13, times the lifter. */
function liftedDct(): Float64Array[] {
  return Array.from({ length: MFCC_COEFFICIENTS }, (_, k) => {
    const scale = k === 0 ? Math.sqrt(1 / FILTERS) : Math.sqrt(2 / FILTERS);
    const lift = 1 + (LIFTER / 2) * Math.sin((Math.PI * k) / LIFTER);
    return Float64Array.from(
      { length: FILTERS },
      (_, n) => lift * scale * Math.cos((Math.PI * k * (2 * n + 1)) / (2 * FILTERS)),
    );
  });
}

/** An in-place radix-2 FFT of NFFT points, with its tables built once. */
class Fft {
  private readonly cos = new Float64Array(NFFT / 2);
  private readonly sin = new Float64Array(NFFT / 2);
  private readonly reversed = new Uint16Array(NFFT);

  constructor() {
    for (let index = 0; index < NFFT / 2; index++) {
      this.cos[index] = Math.cos((2 * Math.PI * index) / NFFT);
      this.sin[index] = -Math.sin((2 * Math.PI * index) / NFFT);
    }
    const bits = Math.log2(NFFT);
    for (let index = 0; index < NFFT; index++) {
      let reversed = 0;
      for (let bit = 0; bit < bits; bit++) reversed |= ((index >> bit) & 1) << (bits - 1 - bit);
      this.reversed[index] = reversed;
    }
  }

  transform(real: Float64Array, imag: Float64Array): void {
    for (let index = 0; index < NFFT; index++) {
      const other = this.reversed[index] ?? 0;
      if (other > index) {
        [real[index], real[other]] = [real[other] ?? 0, real[index] ?? 0];
        [imag[index], imag[other]] = [imag[other] ?? 0, imag[index] ?? 0];
      }
    }
    for (let size = 2; size <= NFFT; size *= 2) {
      const half = size / 2;
      const stride = NFFT / size;
      for (let start = 0; start < NFFT; start += size) {
        for (let offset = 0; offset < half; offset++) {
          const even = start + offset;
          const odd = even + half;
          const c = this.cos[offset * stride] ?? 1;
          const s = this.sin[offset * stride] ?? 0;
          const oddReal = real[odd] ?? 0;
          const oddImag = imag[odd] ?? 0;
          const tr = c * oddReal - s * oddImag;
          const ti = c * oddImag + s * oddReal;
          real[odd] = (real[even] ?? 0) - tr;
          imag[odd] = (imag[even] ?? 0) - ti;
          real[even] = (real[even] ?? 0) + tr;
          imag[even] = (imag[even] ?? 0) + ti;
        }
      }
    }
  }
}

/** How many MFCC rows python_speech_features makes from `samples` samples (it zero-pads the last frame). */
export function mfccRowCount(samples: number): number {
  return samples <= FRAME ? 1 : 1 + Math.ceil((samples - FRAME) / MFCC_STEP);
}

/** Computes MFCC rows of one recording, any range at a time, with the same numbers as one pass over all of it. */
export class MfccExtractor {
  private readonly filters = melFilterbank();
  private readonly dct = liftedDct();
  private readonly fft = new Fft();
  private readonly real = new Float64Array(NFFT);
  private readonly imag = new Float64Array(NFFT);
  private readonly power = new Float64Array(BINS);
  private readonly logMel = new Float64Array(FILTERS);

  constructor(private readonly samples: Int16Array) {}

  get rowCount(): number {
    return mfccRowCount(this.samples.length);
  }

  /** Rows [from, to) as a (to - from) x 13 array; rows past the end are those of silence, as padding. */
  rows(from: number, to: number): Float32Array {
    const out = new Float32Array(Math.max(0, to - from) * MFCC_COEFFICIENTS);
    for (let row = from; row < to; row++) this.row(row, out, (row - from) * MFCC_COEFFICIENTS);
    return out;
  }

  private sample(index: number): number {
    return index >= 0 && index < this.samples.length ? (this.samples[index] ?? 0) : 0;
  }

  private row(row: number, out: Float32Array, offset: number): void {
    const { real, imag, power, logMel } = this;
    const first = row * MFCC_STEP;
    for (let index = 0; index < NFFT; index++) {
      const at = first + index;
      // Pre-emphasis over the whole signal: y[0] = x[0], y[n] = x[n] - 0.97 x[n-1]; zeros after the end.
      real[index] =
        index >= FRAME || at >= this.samples.length
          ? 0
          : at === 0
            ? this.sample(0)
            : this.sample(at) - PRE_EMPHASIS * this.sample(at - 1);
      imag[index] = 0;
    }
    this.fft.transform(real, imag);
    let energy = 0;
    for (let bin = 0; bin < BINS; bin++) {
      const value = ((real[bin] ?? 0) ** 2 + (imag[bin] ?? 0) ** 2) / NFFT;
      power[bin] = value;
      energy += value;
    }
    this.filters.forEach((filter, index) => {
      let sum = 0;
      filter.weights.forEach((weight, bin) => (sum += weight * (power[filter.from + bin] ?? 0)));
      logMel[index] = Math.log(sum === 0 ? EPS : sum);
    });
    this.dct.forEach((basis, k) => {
      let sum = 0;
      for (let n = 0; n < FILTERS; n++) sum += (basis[n] ?? 0) * (logMel[n] ?? 0);
      out[offset + k] = sum;
    });
    out[offset] = Math.log(energy === 0 ? EPS : energy);
  }
}
