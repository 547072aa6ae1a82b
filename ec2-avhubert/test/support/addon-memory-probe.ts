/**
 * Run by addon.test.ts in its own `node --expose-gc` process. The test model's encoder runs
 * on fresh inputs each time (as each chunk of a job is) in a warm-up and then in equal
 * windows; after each, a full GC, and the growth of resident and ArrayBuffer memory over
 * every window is printed as JSON. A leak grows every window; allocator noise does not.
 */
import path from 'node:path';
import { loadModule } from '../../native/index';
import { AUDIO_DIM, TEST_MODEL_DIR, VIDEO_SIZE } from '../model-packages';

const collect = globalThis.gc;
if (!collect) throw new Error('Run this with node --expose-gc.');

const [windows = 4, runsPerWindow = 250, warmup = 250] = process.argv.slice(2).map(Number);
const frames = 1;

function freshInputs(seed: number) {
  const video = new Float32Array(frames * VIDEO_SIZE * VIDEO_SIZE);
  for (let i = 0; i < video.length; i += 1) video[i] = ((i * 7 + seed) % 255) / 255 - 0.5;
  return {
    video: { dtype: 'float32' as const, data: video, shape: [1, 1, frames, VIDEO_SIZE, VIDEO_SIZE] },
    audio: { dtype: 'float32' as const, data: new Float32Array(AUDIO_DIM * frames), shape: [1, AUDIO_DIM, frames] },
  };
}

/** Memory once the heap has settled: several full collections, with event-loop turns between. */
async function settledMemory() {
  for (let i = 0; i < 4; i += 1) {
    collect!();
    await new Promise((resolve) => setImmediate(resolve));
  }
  const { rss, arrayBuffers } = process.memoryUsage();
  return { rss, arrayBuffers };
}

const encoder = await loadModule(path.join(TEST_MODEL_DIR, 'encoder.pt'), 'cpu');
let seed = 0;
const runMany = async (count: number) => {
  for (let i = 0; i < count; i += 1) await encoder.run('forward', freshInputs(seed++));
};
// libtorch's allocator and the JIT's profiling runs settle first.
await runMany(warmup);
let last = await settledMemory();
const growth: Array<{ rss: number; arrayBuffers: number }> = [];
for (let window = 0; window < windows; window += 1) {
  await runMany(runsPerWindow);
  const now = await settledMemory();
  growth.push({ rss: now.rss - last.rss, arrayBuffers: now.arrayBuffers - last.arrayBuffers });
  last = now;
}
encoder.dispose();

process.stdout.write(
  `${JSON.stringify({
    runsPerWindow,
    frameBytes: frames * VIDEO_SIZE * VIDEO_SIZE * Float32Array.BYTES_PER_ELEMENT,
    growth,
  })}\n`,
);
