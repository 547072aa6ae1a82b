/**
 * Decoder time per step at beam 50, before and after the device decoder, on this machine's CPU,
 * for 100-, 250- and 500-frame sources, with an AV-HuBERT-Large-shaped decoder (9 layers, 8
 * heads, random weights: export/make_bench_decoder.py) BENCH_DECODER_WIDTH wide (default 256:
 * Debian's CPU libtorch uses the reference BLAS here, about 0.3 GFLOP/s, and Large's real 1024
 * takes over a minute a step; the before/after ratio is about the same at any width).
 *
 *   before  forward(): encoder_out every step, so cross-attention keys and values are projected
 *           again each step, and the self-attention cache goes to the host and back (the
 *           formatVersion 1 loop, still what `decoder: 'host'` runs)
 *   after   cross_kv() once per source, then step() with the caches as DeviceTensor handles
 *
 * Prints medians and the ratio, and writes them to bench/RESULTS.md under its own heading. Not a
 * test: it never fails on speed. `make bench` runs it; `tsx ec2-avhubert/bench/decode-steps.ts`
 * runs it alone.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { median } from '../../bench/stats';
import { REPO_ROOT } from '../../test/support/paths';
import { isDeviceTensor, loadModule, type RunInput, type Tensor, type TorchModule } from '../native/index';
import { machine, writeResultsSection } from './results';

const BEAM = 50;
const SOURCES = [100, 250, 500];
const STEPS = Number(process.env.BENCH_DECODE_STEPS ?? 6);
const TORCH_PYTHON = process.env.TORCH_PYTHON ?? '/usr/bin/python3';
const WIDTH = Number(process.env.BENCH_DECODER_WIDTH ?? 256);

interface Shape {
  layers: number;
  dim: number;
  heads: number;
  vocab: number;
  ffn: number;
}

function randomFloats(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let state = seed;
  for (let i = 0; i < count; i++) {
    state = (state * 1664525 + 1013904223) >>> 0;
    out[i] = state / 2 ** 32 - 0.5;
  }
  return out;
}

const int64 = (values: number[], shape: number[]): Tensor => ({
  dtype: 'int64',
  data: BigInt64Array.from(values, BigInt),
  shape,
});
/** A beam reorder like a real one: most rows keep their parent, some take another's. */
const origin = (step: number) =>
  Array.from({ length: BEAM }, (_, row) => ((row * 7 + step) % 3 === 0 ? (row + 1) % BEAM : row));
const tokens = (step: number) =>
  int64(
    Array.from({ length: BEAM }, (_, row) => 4 + ((row + step) % 900)),
    [BEAM, 1],
  );

async function before(decoder: TorchModule, shape: Shape, frames: number): Promise<number[]> {
  const headDim = shape.dim / shape.heads;
  const encoderOut: Tensor = {
    dtype: 'float32',
    data: randomFloats(frames * shape.dim, frames),
    shape: [1, frames, shape.dim],
  };
  let cacheK: Tensor = {
    dtype: 'float32',
    data: new Float32Array(0),
    shape: [shape.layers, BEAM, shape.heads, 0, headDim],
  };
  let cacheV: Tensor = cacheK;
  const times: number[] = [];
  for (let step = 0; step < STEPS; step++) {
    const started = performance.now();
    const [, nextK, nextV] = await decoder.run('forward', {
      tokens: tokens(step),
      encoder_out: encoderOut,
      cache_k: cacheK,
      cache_v: cacheV,
      step: int64([step], []),
      ...(step > 0 ? { beam_origin: int64(origin(step), [BEAM]) } : {}),
    });
    if (!nextK || !nextV) throw new Error('forward() returned too few tensors');
    [cacheK, cacheV] = [nextK, nextV];
    times.push(performance.now() - started);
  }
  return times;
}

async function after(
  decoder: TorchModule,
  shape: Shape,
  frames: number,
): Promise<{ crossKvMs: number; steps: number[] }> {
  const headDim = shape.dim / shape.heads;
  const encoderOut: Tensor = {
    dtype: 'float32',
    data: randomFloats(frames * shape.dim, frames),
    shape: [1, frames, shape.dim],
  };
  let started = performance.now();
  const memory = await decoder.runKeeping('cross_kv', { encoder_out: encoderOut }, [0, 1, 2]);
  const crossKvMs = performance.now() - started;
  const [memoryK, memoryV, memoryBias] = memory;
  if (!isDeviceTensor(memoryK) || !isDeviceTensor(memoryV) || !isDeviceTensor(memoryBias)) throw new Error('cross_kv');
  const empty: Tensor = {
    dtype: 'float32',
    data: new Float32Array(0),
    shape: [shape.layers, BEAM, shape.heads, 0, headDim],
  };
  let cacheK: RunInput = empty;
  let cacheV: RunInput = empty;
  const steps: number[] = [];
  try {
    for (let step = 0; step < STEPS; step++) {
      started = performance.now();
      const [, nextK, nextV] = await decoder.runKeeping(
        'step',
        {
          tokens: tokens(step),
          memory_k: memoryK,
          memory_v: memoryV,
          memory_bias: memoryBias,
          cache_k: cacheK,
          cache_v: cacheV,
          position: int64([step], []),
          ...(step > 0 ? { beam_origin: int64(origin(step), [BEAM]) } : {}),
        },
        [1, 2],
      );
      if (!isDeviceTensor(nextK) || !isDeviceTensor(nextV)) throw new Error('step() returned too few tensors');
      for (const old of [cacheK, cacheV]) if (isDeviceTensor(old)) old.dispose();
      [cacheK, cacheV] = [nextK, nextV];
      steps.push(performance.now() - started);
    }
  } finally {
    for (const handle of [memoryK, memoryV, memoryBias, cacheK, cacheV]) if (isDeviceTensor(handle)) handle.dispose();
  }
  return { crossKvMs, steps };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gorggle-bench-decoder-'));
  try {
    console.log(`writing an AV-HuBERT-Large-shaped decoder ${WIDTH} wide (random weights)`);
    const script = path.join(REPO_ROOT, 'ec2-avhubert', 'export', 'make_bench_decoder.py');
    execFileSync(TORCH_PYTHON, [script, '--out', dir, '--width', String(WIDTH)], {
      stdio: 'inherit',
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
    });
    const shape = JSON.parse(readFileSync(path.join(dir, 'shape.json'), 'utf8')) as Shape;
    const decoder = await loadModule(path.join(dir, 'decoder_step.pt'), 'cpu');
    const rows: Array<[string, string]> = [];
    const loads: string[] = [];
    try {
      for (const frames of SOURCES) {
        loads.push((os.loadavg()[0] ?? 0).toFixed(1));
        // Step 0 of each is a warm-up (allocations, first-call JIT): the median is over the rest.
        const hostSteps = (await before(decoder, shape, frames)).slice(1);
        const device = await after(decoder, shape, frames);
        const [was, now] = [median(hostSteps), median(device.steps.slice(1))];
        const row = `${was.toFixed(0)} ms -> ${now.toFixed(0)} ms per step (${(was / now).toFixed(2)}x); cross_kv once: ${device.crossKvMs.toFixed(0)} ms`;
        console.log(`${frames} frames: ${row}`);
        rows.push([`${frames}-frame source`, row]);
      }
    } finally {
      decoder.dispose();
    }
    const section = [
      '## Lip-reading decoder steps',
      '',
      `Measured by \`make bench\` (ec2-avhubert/bench/decode-steps.ts) on ${new Date().toISOString().slice(0, 10)}:`,
      `${machine()}; Debian's libtorch 1.13 on the CPU, float32, with Debian's reference BLAS (libblas3:`,
      'about 0.3 GFLOP/s; OpenBLAS or MKL would be far faster, and the GPU is what the server runs on).',
      `One decoder step at beam ${BEAM}, AV-HuBERT-Large-shaped: ${shape.layers} layers, ${shape.heads} heads, ${shape.vocab} pieces,`,
      `${shape.dim} wide (Large: 1024; the ratio is about the same at any width, both sides scale with`,
      `its square), feed-forward ${shape.ffn}, random weights; median of steps 1-${STEPS - 1}`,
      '(step 0 is a warm-up). Before: `forward()`, which projects the cross-attention keys and values',
      'again every step and sends the self-attention cache to the host and back (formatVersion 1).',
      'After: `cross_kv()` once per source, then `step()` with the caches kept as DeviceTensor handles.',
      `1-minute load average before each source: ${loads.join(', ')} (above the core count, other work`,
      'shared the cores and the figures are noisy). On the CPU "host" and "device" are the same memory,',
      'so the gain here is the cross-attention projection alone; on a GPU the cache no longer crossing',
      'PCIe twice a step adds to it. GPU figures: not measured (no GPU was lent to this work).',
      '',
      '| source | decode time per step, before -> after |',
      '| --- | --- |',
      ...rows.map(([name, value]) => `| ${name} | ${value} |`),
      '',
    ].join('\n');
    writeResultsSection('## Lip-reading decoder steps', section);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
