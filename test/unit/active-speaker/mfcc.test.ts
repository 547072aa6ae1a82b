import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MFCC_COEFFICIENTS, MfccExtractor, mfccRowCount } from '../../../functions/lib/active-speaker/mfcc';
import { readPcm16MonoWav } from '../../../functions/lib/media/wav';
import { FFMPEG_DIR_FOR_TESTS, gridClip, gridAvailable, REPO_ROOT } from '../../support/paths';

/** Debian's python3 has numpy (python3-torch needs it); the reference needs nothing else. */
const PYTHON = process.env.TORCH_PYTHON ?? '/usr/bin/python3';
const REFERENCE = path.join(REPO_ROOT, 'test', 'support', 'python_speech_features_mfcc.py');

let scratch: string;
beforeAll(() => (scratch = mkdtempSync(path.join(tmpdir(), 'mfcc-test-'))));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** python_speech_features' numbers for the same samples, one 13-value row per 10 ms. */
function referenceMfcc(samples: Int16Array): Float64Array {
  const input = path.join(scratch, 'samples.i16');
  const output = path.join(scratch, 'mfcc.f64');
  writeFileSync(input, Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength));
  execFileSync(PYTHON, [REFERENCE, input, output]);
  const bytes = readFileSync(output);
  return new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
}

function largestGap(ours: Float32Array, reference: Float64Array): number {
  let gap = 0;
  reference.forEach((value, index) => (gap = Math.max(gap, Math.abs(value - (ours[index] ?? NaN)))));
  return gap;
}

describe('MFCCs as python_speech_features computes them', () => {
  (gridAvailable() ? it : it.skip)('matches the reference on a GRID sentence', async () => {
    // Prepare
    const wav = path.join(scratch, 'bbaf2n.wav');
    const ffmpeg = path.join(FFMPEG_DIR_FOR_TESTS, 'ffmpeg');
    execFileSync(ffmpeg, ['-v', 'error', '-y', '-i', gridClip('bbaf2n.mpg'), '-ac', '1', '-ar', '16000', wav]);
    const { samples } = await readPcm16MonoWav(wav);
    const extractor = new MfccExtractor(samples);

    // Act
    const ours = extractor.rows(0, extractor.rowCount);

    // Assess: values run to about ±60; float32 holds them to about 1e-5
    const reference = referenceMfcc(samples);
    expect(ours.length).toBe(reference.length);
    expect(largestGap(ours, reference)).toBeLessThan(1e-4);
  });

  it('matches the reference on noise with a silent stretch, odd lengths and the last padded frame', () => {
    // Prepare: 0.5 s of loud noise, 0.1 s of digital silence (the log of zero energy), then 1234 samples more
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
    const samples = Int16Array.from({ length: 8000 + 1600 + 1234 }, (_, index) =>
      index >= 8000 && index < 9600 ? 0 : Math.round(random() * 12000),
    );

    // Act
    const ours = new MfccExtractor(samples).rows(0, mfccRowCount(samples.length));

    // Assess
    const reference = referenceMfcc(samples);
    expect(ours.length).toBe(reference.length);
    expect(largestGap(ours, reference)).toBeLessThan(1e-4);
  });

  it('computes any range of rows exactly as the whole pass does, and pads past the end with silence', () => {
    // Prepare
    const samples = Int16Array.from({ length: 16000 }, (_, index) => Math.round(8000 * Math.sin(index / 7)));
    const extractor = new MfccExtractor(samples);
    const whole = extractor.rows(0, extractor.rowCount);

    // Act
    const middle = extractor.rows(37, 61);
    const beyond = extractor.rows(extractor.rowCount + 1, extractor.rowCount + 3);

    // Assess
    expect(extractor.rowCount).toBe(99);
    expect([...middle]).toEqual([...whole.subarray(37 * MFCC_COEFFICIENTS, 61 * MFCC_COEFFICIENTS)]);
    expect(beyond[0]).toBeCloseTo(Math.log(2.220446049250313e-16), 4);
  });
});
