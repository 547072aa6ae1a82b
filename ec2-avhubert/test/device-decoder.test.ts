/**
 * The device decoder (caches and cross-attention keys/values kept on the model's device,
 * chunks batched) against the host loop it replaces, on the test model: the same tokens.
 */
import { ModelInputError, loadModelPackage, type Hypothesis, type LipReadingModel } from '../src/model/index';
import { requireBuiltArtifacts, syntheticVideo, TEST_MODEL_DIR } from './model-packages';

/** Clear and ambiguous clips of different lengths (mid-grey is the hardest case for search). */
const clips = [0.6, -0.6, 0.05, -0.05, 0.2, -0.12].map((level, i) => {
  const frames = 18 + 7 * i;
  return { frames, video: syntheticVideo(frames, level, 300 + i) };
});

/** An AbortSignal that turns aborted after it has been read `reads` times. */
function abortAfter(reads: number, reason: Error): AbortSignal {
  let count = 0;
  return {
    get aborted() {
      count++;
      return count > reads;
    },
    reason,
  } as AbortSignal;
}

describe('device decoder', () => {
  let host: LipReadingModel;
  let device: LipReadingModel;

  beforeAll(async () => {
    requireBuiltArtifacts();
    [host, device] = await Promise.all([
      loadModelPackage(TEST_MODEL_DIR, { decoder: 'host' }),
      loadModelPackage(TEST_MODEL_DIR),
    ]);
  });
  afterAll(() => {
    host?.dispose();
    device?.dispose();
  });

  it('is the default for a formatVersion 2 package', () => {
    expect(device.decoderKind).toBe('device');
    expect(host.decoderKind).toBe('host');
  });

  it.each([
    ['beam 5 (the manifest)', {}],
    ['beam 1', { beam: 1 }],
    ['greedy', { search: 'greedy' as const }],
  ])('decodes token for token as the host loop: %s', async (_name, options) => {
    for (const clip of clips) {
      // Act
      const before = await host.transcribe(clip, options);
      const after = await device.transcribe(clip, options);

      // Assess
      expect(after.tokens).toEqual(before.tokens);
      expect(after.confidence).toBeCloseTo(before.confidence, 5);
      expect(after.timings?.steps).toBeGreaterThan(after.tokens.length);
    }
  });

  it('decodes chunks submitted together in one batch, each to its own tokens', async () => {
    // Prepare
    const alone: Hypothesis[] = [];
    for (const clip of clips) alone.push(await host.transcribe(clip));

    // Act: all at once; the first starts alone, the rest queue up behind it and batch.
    const together = await Promise.all(clips.map((clip) => device.transcribe(clip)));

    // Assess
    expect(together.map((h) => h.tokens)).toEqual(alone.map((h) => h.tokens));
    expect(Math.max(...together.map((h) => h.timings?.batchChunks ?? 0))).toBe(clips.length - 1);
  });

  it('stops an aborted chunk at the next step; its batch-mates finish', async () => {
    // Prepare
    const stop = new Error('stopped by the test');
    const [first, second, third] = clips;

    // Act
    const outcomes = await Promise.allSettled([
      device.transcribe(first!),
      device.transcribe(second!, { signal: abortAfter(4, stop) }),
      device.transcribe(third!),
    ]);

    // Assess
    expect(outcomes[1]).toEqual({ status: 'rejected', reason: stop });
    expect(outcomes[0].status).toBe('fulfilled');
    const last = outcomes[2];
    expect(last.status === 'fulfilled' && last.value.tokens).toEqual((await host.transcribe(third!)).tokens);
  });

  it('keeps a chunk within the memory budget, or refuses it naming the setting', async () => {
    // Prepare: the test model's cache takes 2 layers x 32 values x 4 bytes per row and token: at
    // beam 5, 7680 bytes a token at its peak, and 16896 for an 18-frame chunk before any.
    const [clip] = clips;
    const tight = await loadModelPackage(TEST_MODEL_DIR, { budget: { memoryBytes: 52_000, maxBatchChunks: 4 } });
    const tiny = await loadModelPackage(TEST_MODEL_DIR, { budget: { memoryBytes: 1_000, maxBatchChunks: 4 } });
    try {
      // Act
      const capped = await tight.transcribe(clip!, { beam: 5 });
      const refused = await tiny.transcribe(clip!).catch((error: unknown) => error);

      // Assess: 52 kB affords 3 tokens (and the forced eos), as a maximum length of 3 does.
      expect(capped.tokens).toHaveLength(3);
      expect(capped.tokens).toEqual((await host.transcribe(clip!, { beam: 5, maxLength: 3 })).tokens);
      expect(refused).toBeInstanceOf(ModelInputError);
      expect((refused as Error).message).toMatch(/GORGGLE_DECODE_MEMORY_MB/);
    } finally {
      tight.dispose();
      tiny.dispose();
    }
  });
});

describe('device decoder in half precision on the CPU', () => {
  it('bfloat16 reads the clear clips as float32 does; float16 has no CPU kernels in this libtorch', async () => {
    // Prepare
    const float32 = await loadModelPackage(TEST_MODEL_DIR);
    const bfloat16 = await loadModelPackage(TEST_MODEL_DIR, { decoderDtype: 'bfloat16' });
    try {
      for (const clip of clips.slice(0, 2)) {
        // Act
        const [full, half] = [await float32.transcribe(clip), await bfloat16.transcribe(clip)];

        // Assess: bfloat16 keeps 8 bits of mantissa, so only the confidence moves.
        expect(half.tokens).toEqual(full.tokens);
        expect(Math.abs(half.confidence - full.confidence)).toBeLessThan(0.01);
      }
      // float16 is for CUDA: Debian's libtorch 1.13 has no float16 kernels on the CPU, and the
      // load-time probe says so.
      await expect(loadModelPackage(TEST_MODEL_DIR, { decoderDtype: 'float16' })).rejects.toThrow(/Half/);
    } finally {
      float32.dispose();
      bfloat16.dispose();
    }
  });
});
