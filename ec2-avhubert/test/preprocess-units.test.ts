import { inflateSync } from 'node:zlib';
import { planSpeechChunks, planWholeTimeline } from '../src/preprocess/chunking';
import { EnergySpeechDetector } from '../src/preprocess/speech';
import { AUDIO_FEATURE_DIM, FILTER_COUNT, LogFilterbank, stackedAudioFeatures } from '../src/preprocess/filterbank';
import { LandmarkSmoother, mouthOpening, resolveLandmarkSequence } from '../src/preprocess/landmark-track';
import { encodeGrayPng } from '../src/preprocess/png';
import { cropRgb, roiGeometry, warpRoi } from '../src/preprocess/roi';
import { applySimilarity, estimateSimilarity, invertSimilarity } from '../src/preprocess/similarity';
import { boxAround, fitsBox } from '../src/preprocess/tracker';
import { MEAN_FACE_STABLE_POINTS, ROI_SIZE, STABLE_POINT_IDS } from '../src/preprocess/mean-face';

/** 68 landmarks all at one spot, then moved per frame: enough for the sequence logic. */
const flatLandmarks = (value: number) => new Float32Array(136).fill(value);

describe('estimateSimilarity', () => {
  it('recovers a known rotation, scale and translation', () => {
    // Prepare
    const angle = 0.3;
    const scale = 1.7;
    const truth = { a: scale * Math.cos(angle), b: scale * Math.sin(angle), tx: 12, ty: -5 };
    const src = [10, 20, 50, 22, 30, 60, 80, 75, 5, 90];
    const dst = src.flatMap((_, i) => (i % 2 ? [] : applySimilarity(truth, src[i]!, src[i + 1]!)));

    // Act
    const found = estimateSimilarity(src, dst);

    // Assess
    expect(found.a).toBeCloseTo(truth.a, 9);
    expect(found.b).toBeCloseTo(truth.b, 9);
    expect(found.tx).toBeCloseTo(truth.tx, 9);
    expect(found.ty).toBeCloseTo(truth.ty, 9);
    const back = invertSimilarity(found);
    const [x, y] = applySimilarity(back, ...applySimilarity(found, 33, 44));
    expect(x).toBeCloseTo(33, 9);
    expect(y).toBeCloseTo(44, 9);
  });

  it('gives the least-squares fit for noisy points, never a reflection', () => {
    // Prepare: a mirrored square cannot be matched by rotation and scale.
    const src = [0, 0, 1, 0, 1, 1, 0, 1];
    const mirrored = [0, 0, -1, 0, -1, 1, 0, 1];

    // Act
    const found = estimateSimilarity(src, mirrored);

    // Assess: the best similarity collapses (scale 0), rather than flipping.
    expect(Math.hypot(found.a, found.b)).toBeLessThan(1e-9);
  });
});

describe('landmark interpolation and smoothing', () => {
  it('fills gaps linearly and copies the nearest detection at the edges', () => {
    // Prepare
    const sequence = [null, flatLandmarks(0), null, null, null, flatLandmarks(8), null];

    // Act
    const frames = resolveLandmarkSequence(sequence, { window: 1 });

    // Assess
    expect(frames.map((f) => f.landmarks![0])).toEqual([0, 0, 2, 4, 6, 8, 8]);
    expect(frames.map((f) => f.detected)).toEqual([false, true, false, false, false, true, false]);
  });

  it('averages the 12 frames ahead and reuses the last window at the end, as align_mouth.py', () => {
    // Prepare: frame i has value i.
    const sequence = Array.from({ length: 20 }, (_, i) => flatLandmarks(i));

    // Act
    const frames = resolveLandmarkSequence(sequence);

    // Assess: frame i smooths i..i+11 (mean i+5.5); frames 9..19 all reuse window 8..19.
    expect(frames).toHaveLength(20);
    expect(frames[0]!.smoothed![0]).toBeCloseTo(5.5, 5);
    expect(frames[8]!.smoothed![0]).toBeCloseTo(13.5, 5);
    expect(frames[15]!.smoothed![0]).toBeCloseTo(13.5, 5);
    expect(frames[15]!.landmarks![0]).toBe(15);
  });

  it('uses the overall mean for a sequence shorter than the window', () => {
    // Prepare
    const smoother = new LandmarkSmoother(12);

    // Act
    const early = [0, 1, 2, 3].flatMap((i) =>
      smoother.push({ index: i, landmarks: flatLandmarks(i * 2), detected: true }),
    );
    const flushed = smoother.flush();

    // Assess
    expect(early).toEqual([]);
    expect(flushed.map((f) => f.smoothed![0])).toEqual([3, 3, 3, 3]);
  });

  it('holds the last face through a gap longer than maxGap instead of buffering it', () => {
    // Prepare
    const sequence = [flatLandmarks(4), ...Array<null>(5).fill(null), flatLandmarks(10)];

    // Act
    const frames = resolveLandmarkSequence(sequence, { window: 1, maxGap: 3 });

    // Assess: 3 frames held at 4, then 4 -> 10 across the remaining 2 frames.
    expect(frames.map((f) => f.landmarks![0])).toEqual([4, 4, 4, 4, 6, 8, 10]);
  });
});

describe('mouthOpening', () => {
  it('is the inner-lip gap over the mouth width', () => {
    // Prepare: mouth 40 px wide, inner lips 10 px apart.
    const lm = new Float32Array(136);
    const set = (i: number, x: number, y: number) => ((lm[2 * i] = x), (lm[2 * i + 1] = y));
    set(48, 0, 0);
    set(54, 40, 0);
    [61, 62, 63].forEach((i, k) => set(i, 10 + 10 * k, -5));
    [67, 66, 65].forEach((i, k) => set(i, 10 + 10 * k, 5));

    // Act / Assess
    expect(mouthOpening(lm)).toBeCloseTo(10 / 40, 6);
  });
});

describe('LogFilterbank', () => {
  const tone = () => {
    const samples = new Int16Array(16_000);
    for (let i = 0; i < samples.length; i++) {
      const t = i / 16_000;
      samples[i] = Math.trunc(8000 * Math.sin(2 * Math.PI * 440 * t) + 3000 * Math.sin(2 * Math.PI * 2500 * t));
    }
    return samples;
  };
  // python_speech_features.logfbank of the same signal, computed with numpy (frames 10 and 98).
  const reference10 = [
    11.804, 12.1433, 13.2078, 15.0368, 18.5491, 18.0819, 14.6058, 13.7622, 13.3974, 13.1649, 13.1702, 13.2359, 13.5349,
    14.0825, 15.3568, 20.0978, 19.2672, 14.541, 13.5466, 12.8767, 12.4437, 12.1276, 11.8806, 11.7343, 11.621, 11.5964,
  ];
  const reference98 = [
    12.1419, 12.5171, 13.4164, 14.8223, 18.294, 17.7929, 14.628, 13.5981, 13.1652, 12.9167, 12.8167, 12.9591, 13.2629,
    13.9033, 15.34, 19.8613, 19.0447, 14.695, 13.7727, 13.1879, 12.8072, 12.5362, 12.3388, 12.2217, 12.1331, 12.1195,
  ];

  it('matches logfbank: 99 frames of 26 for one second, same energies', () => {
    // Prepare
    const filterbank = new LogFilterbank();

    // Act
    filterbank.push(tone());
    const { frames, features } = filterbank.finish();

    // Assess
    expect(frames).toBe(99);
    expect(features).toHaveLength(99 * FILTER_COUNT);
    Array.from(features.subarray(10 * 26, 11 * 26)).forEach((v, j) => expect(v).toBeCloseTo(reference10[j]!, 2));
    Array.from(features.subarray(98 * 26, 99 * 26)).forEach((v, j) => expect(v).toBeCloseTo(reference98[j]!, 2));
  });

  it('gives the same features when the samples arrive in odd pieces', () => {
    // Prepare
    const samples = tone();
    const whole = new LogFilterbank();
    const pieces = new LogFilterbank();

    // Act
    whole.push(samples);
    for (let at = 0; at < samples.length; at += 999) pieces.push(samples.subarray(at, at + 999));

    // Assess
    expect(pieces.finish().features).toEqual(whole.finish().features);
  });

  it('stacks 4 frames into layer-normalised 104-vectors, zeros past the audio', () => {
    // Prepare
    const filterbank = new LogFilterbank();
    filterbank.push(tone());
    const fbank = filterbank.finish();

    // Act: 25 video frames fit the 99 audio frames; ask for 30.
    const features = stackedAudioFeatures(fbank, 0, 30);

    // Assess
    expect(features).toHaveLength(30 * AUDIO_FEATURE_DIM);
    const vector = features.subarray(3 * 104, 4 * 104);
    const mean = vector.reduce((s, v) => s + v, 0) / 104;
    const variance = vector.reduce((s, v) => s + (v - mean) ** 2, 0) / 104;
    expect(mean).toBeCloseTo(0, 5);
    expect(variance).toBeCloseTo(1, 3);
    expect(Array.from(vector.subarray(0, 26))).not.toEqual(Array.from(vector.subarray(26, 52)).fill(0));
    expect(features.subarray(26 * 104).every((v) => v === 0)).toBe(true);
  });
});

describe('planSpeechChunks', () => {
  const lengths = (chunks: Array<{ startFrame: number; endFrame: number }>) =>
    chunks.map((chunk) => chunk.endFrame - chunk.startFrame);

  it('reads a video without audio whole, in equal chunks of at most 15 s', () => {
    // Act
    const chunks = planWholeTimeline(1300, 25);

    // Assess: 52 s -> 4 chunks of at most 375 frames, end to end.
    expect(lengths(chunks)).toEqual([325, 325, 325, 325]);
    expect(chunks[0]?.startFrame).toBe(0);
    expect(chunks.at(-1)?.endFrame).toBe(1300);
  });

  it('covers the speech with a little context and skips the silence between', () => {
    // Prepare: 60 s; speech 1-3 s, 3.5-5 s (joined: the pause is short), then 40-41 s.
    const segments = [
      { start: 1, end: 3 },
      { start: 3.5, end: 5 },
      { start: 40, end: 41 },
    ];

    // Act
    const chunks = planSpeechChunks(1500, 25, segments);

    // Assess: 0.2 s (5 frames) of context on each side; nothing between 5.2 s and 39.8 s.
    expect(chunks).toEqual([
      { startFrame: 20, endFrame: 130 },
      { startFrame: 995, endFrame: 1030 },
    ]);
  });

  it('never joins past 15 s and splits a longer stretch of speech evenly', () => {
    // Prepare: 10 s of speech, a 0.5 s pause, 10 s more; then 40 s without a pause.
    const segments = [
      { start: 0, end: 10 },
      { start: 10.5, end: 20.5 },
      { start: 30, end: 70 },
    ];

    // Act
    const chunks = planSpeechChunks(2000, 25, segments, { contextSeconds: 0 });

    // Assess
    expect(chunks[0]).toEqual({ startFrame: 0, endFrame: 250 });
    expect(chunks[1]).toEqual({ startFrame: 262, endFrame: 513 });
    expect(lengths(chunks.slice(2))).toEqual([333, 334, 333]);
    expect(Math.max(...lengths(chunks))).toBeLessThanOrEqual(15 * 25);
  });

  it('plans nothing for no speech', () => {
    expect(planSpeechChunks(1500, 25, [])).toEqual([]);
  });
});

describe('EnergySpeechDetector', () => {
  /** 16 kHz: `seconds` of a 200 Hz tone at `amplitude` (0 = digital silence) plus faint noise. */
  const signal = (parts: Array<[seconds: number, amplitude: number]>) => {
    const samples: number[] = [];
    let seed = 7;
    for (const [seconds, amplitude] of parts) {
      for (let i = 0; i < seconds * 16_000; i++) {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        const noise = (seed / 2 ** 31 - 0.5) * 60;
        samples.push(Math.round(amplitude * Math.sin((2 * Math.PI * 200 * i) / 16_000) + noise));
      }
    }
    return Int16Array.from(samples);
  };

  it('finds the loud stretches against the noise floor, in pieces as they come', () => {
    // Prepare: 1 s quiet, 1.5 s speech-loud, 2 s quiet, 0.5 s loud, 1 s quiet.
    const detector = new EnergySpeechDetector(16_000);
    const samples = signal([
      [1, 0],
      [1.5, 6000],
      [2, 0],
      [0.5, 6000],
      [1, 0],
    ]);

    // Act
    for (let at = 0; at < samples.length; at += 4_000) detector.push(samples.subarray(at, at + 4_000));
    const segments = detector.segments();

    // Assess
    expect(segments).toHaveLength(2);
    expect(segments[0]?.start).toBeCloseTo(1, 1);
    expect(segments[0]?.end).toBeCloseTo(2.5, 1);
    expect(segments[1]?.start).toBeCloseTo(4.5, 1);
    expect(segments[1]?.end).toBeCloseTo(5, 1);
  });

  it('finds no speech in silence or faint noise', () => {
    const detector = new EnergySpeechDetector(16_000);
    detector.push(signal([[3, 0]]));
    expect(detector.segments()).toEqual([]);
  });
});

describe('cropRgb and warpRoi', () => {
  const frame = (() => {
    const width = 300;
    const height = 240;
    const data = new Uint8Array(width * height * 3);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) data.set([x % 256, y % 256, (x + y) % 256], (y * width + x) * 3);
    return { width, height, data };
  })();

  it('copies pixels exactly when the box matches the output size', () => {
    // Prepare
    const out = new Float32Array(20 * 20 * 3);

    // Act
    cropRgb(frame, { x: 30, y: 40, size: 20 }, 20, out);

    // Assess
    expect(Array.from(out.subarray(0, 3))).toEqual([30, 40, 70]);
    expect(Array.from(out.subarray((19 * 20 + 5) * 3, (19 * 20 + 5) * 3 + 3))).toEqual([35, 59, 94]);
  });

  it('is black outside the frame', () => {
    const out = new Float32Array(4 * 4 * 3);
    cropRgb(frame, { x: -10, y: -10, size: 4 }, 4, out);
    expect(out.every((v) => v === 0)).toBe(true);
  });

  it('samples the ROI around the transformed mouth, normalised', () => {
    // Prepare: landmarks that are the mean face itself (identity transform), mouth at (130, 150).
    const lm = new Float32Array(136);
    STABLE_POINT_IDS.forEach((id, k) => {
      lm[2 * id] = MEAN_FACE_STABLE_POINTS[k]![0];
      lm[2 * id + 1] = MEAN_FACE_STABLE_POINTS[k]![1];
    });
    for (let i = 48; i < 68; i++) {
      lm[2 * i] = 130 + (i % 2 ? 3 : -3);
      lm[2 * i + 1] = 150;
    }
    const out = new Float32Array(ROI_SIZE * ROI_SIZE);
    const bytes = new Uint8Array(ROI_SIZE * ROI_SIZE);

    // Act
    const geometry = roiGeometry(lm, lm);
    warpRoi(frame, geometry, out, 0, bytes);

    // Assess: ROI top-left is (130 - 44, 150 - 44) of the source.
    expect(geometry.transform.a).toBeCloseTo(1, 6);
    expect([geometry.left, geometry.top]).toEqual([86, 106]);
    const luma = 0.299 * 86 + 0.587 * 106 + 0.114 * 192;
    expect(out[0]).toBeCloseTo((luma / 255 - 0.421) / 0.165, 4);
    expect(bytes[0]).toBe(Math.round(luma));
  });
});

describe('tracker box checks', () => {
  it('accepts a face-shaped layout in its own box and rejects a shifted or scrambled one', () => {
    // Prepare: eyes at y=0, nose tip at y=10, mouth at y=20, chin at y=30.
    const lm = new Float32Array(136);
    for (let i = 0; i < 68; i++) {
      const y = i >= 48 ? 20 : i >= 36 ? 0 : i === 33 ? 10 : i < 17 ? 30 * (i / 16) : 5;
      lm[2 * i] = (i * 7) % 30;
      lm[2 * i + 1] = y;
    }
    const scrambled = lm.slice();
    scrambled[67] = 28; // nose tip below the mouth
    const box = boxAround(lm);

    // Act / Assess
    expect(fitsBox(lm, box)).toBe(true);
    expect(fitsBox(lm, { ...box, x: box.x + box.size * 0.5 })).toBe(false);
    expect(fitsBox(lm, { ...box, size: box.size * 3 })).toBe(false);
    expect(fitsBox(scrambled, boxAround(scrambled))).toBe(false);
  });
});

describe('encodeGrayPng', () => {
  it('writes a valid grayscale PNG holding the pixels', () => {
    // Prepare
    const pixels = Uint8Array.from({ length: 6 }, (_, i) => i * 40);

    // Act
    const png = encodeGrayPng(pixels, 3, 2);

    // Assess
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png.readUInt32BE(16)).toBe(3);
    expect(png.readUInt32BE(20)).toBe(2);
    const idatLength = png.readUInt32BE(33);
    const rows = inflateSync(png.subarray(41, 41 + idatLength));
    expect(Array.from(rows)).toEqual([0, 0, 40, 80, 0, 120, 160, 200]);
  });
});
