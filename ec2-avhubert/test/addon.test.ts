import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { deviceInfo, loadModule, TorchInputError, TorchRuntimeError, type TorchModule } from '../native/index';
import { AUDIO_DIM, requireBuiltArtifacts, syntheticVideo, TEST_MODEL_DIR, VIDEO_SIZE } from './model-packages';

const run = promisify(execFile);
const ENCODER_FILE = path.join(TEST_MODEL_DIR, 'encoder.pt');
const ENCODER_DIM = 32;

function encoderInputs(frames: number, audioDim = AUDIO_DIM) {
  return {
    video: {
      dtype: 'float32' as const,
      data: syntheticVideo(frames, 0.3),
      shape: [1, 1, frames, VIDEO_SIZE, VIDEO_SIZE],
    },
    audio: { dtype: 'float32' as const, data: new Float32Array(audioDim * frames), shape: [1, audioDim, frames] },
  };
}

describe('libtorch addon', () => {
  let encoder: TorchModule;

  beforeAll(async () => {
    requireBuiltArtifacts();
    encoder = await loadModule(ENCODER_FILE, 'cpu');
  });

  afterAll(() => encoder?.dispose());

  it('loads a TorchScript module and reports its forward signature', () => {
    // Prepare / Act
    const args = encoder.signature('forward');

    // Assess
    expect(encoder.device).toBe('cpu');
    expect(encoder.methods()).toContain('forward');
    expect(args.map((arg) => [arg.name, arg.optional])).toEqual([
      ['video', false],
      ['audio', false],
      ['padding_mask', true],
    ]);
  });

  it('runs forward off the JS thread and returns a float32 tensor of the model output shape', async () => {
    // Prepare
    const frames = 3;

    // Act
    const [output] = await encoder.run('forward', encoderInputs(frames));

    // Assess
    expect(output!.dtype).toBe('float32');
    expect(output!.data).toBeInstanceOf(Float32Array);
    expect(output!.shape).toEqual([1, frames, ENCODER_DIM]);
    expect(output!.data).toHaveLength(frames * ENCODER_DIM);
    expect((output!.data as Float32Array).every(Number.isFinite)).toBe(true);
  });

  it("surfaces libtorch's own message when a tensor has the wrong shape", async () => {
    // Prepare: 100-dim audio into a 104 -> D projection
    const inputs = encoderInputs(2, 100);

    // Act
    const run = encoder.run('forward', inputs);

    // Assess
    await expect(run).rejects.toThrow(TorchRuntimeError);
    await expect(encoder.run('forward', inputs)).rejects.toThrow(
      /Expected size for first two dimensions of batch2 tensor to be: \[1, 100\] but got: \[1, 104\]/,
    );
  });

  it('rejects inputs whose data does not match their shape before calling libtorch', async () => {
    // Prepare
    const inputs = encoderInputs(2);
    inputs.video.shape = [1, 1, 3, VIDEO_SIZE, VIDEO_SIZE];

    // Act
    const run = encoder.run('forward', inputs);

    // Assess
    await expect(run).rejects.toThrow(TorchInputError);
    await expect(encoder.run('forward', inputs)).rejects.toThrow(/needs 23232 elements but the data has 15488/);
  });

  it('rejects unknown and missing input names', async () => {
    // Prepare
    const { video } = encoderInputs(1);

    // Act / Assess
    await expect(encoder.run('forward', { video })).rejects.toThrow(/needs input\(s\): audio/);
    await expect(encoder.run('forward', { ...encoderInputs(1), lips: video })).rejects.toThrow(
      /unknown input\(s\): lips/,
    );
  });

  it('names a missing TorchScript file', async () => {
    // Prepare
    const missing = path.join(tmpdir(), 'gorggle-no-such-model.pt');

    // Act / Assess
    await expect(loadModule(missing)).rejects.toThrow(`TorchScript file ${missing} does not exist.`);
  });

  it("reports libtorch's reason for a file that is not TorchScript", async () => {
    // Prepare
    const scratch = mkdtempSync(path.join(tmpdir(), 'gorggle-addon-'));
    const file = path.join(scratch, 'not-a-model.pt');
    writeFileSync(file, 'this is not a zip archive');

    // Act
    const load = loadModule(file);

    // Assess
    await expect(load).rejects.toThrow(/PytorchStreamReader failed reading zip archive/);
    rmSync(scratch, { recursive: true, force: true });
  });

  it('describes the CPU device', async () => {
    // Act
    const info = await deviceInfo();

    // Assess
    expect(info.numThreads).toBeGreaterThanOrEqual(1);
    expect(info.torchVersion).toMatch(/^\d+\.\d+/);
    if (info.builtWithCuda) {
      expect(info.name).not.toBe('');
    } else {
      expect(info).toMatchObject({ cudaAvailable: false, deviceCount: 0, name: 'cpu', builtWithCuda: false });
      await expect(loadModule(ENCODER_FILE, 'cuda')).rejects.toThrow(/CUDA is not available to libtorch/);
    }
  });

  it('refuses to run a disposed module', async () => {
    // Prepare
    const module = await loadModule(ENCODER_FILE);

    // Act
    module.dispose();

    // Assess
    await expect(module.run('forward', encoderInputs(1))).rejects.toThrow(/was disposed/);
  });

  it('leaks no input, output or tensor: memory after GC stays flat over 1000 runs on fresh inputs', async () => {
    // Prepare: its own process, so a forced GC sees only the addon (and jest's heap stays out).
    const probe = path.join(import.meta.dirname, 'support', 'addon-memory-probe.ts');

    // Act
    const { stdout } = await run(process.execPath, ['--expose-gc', '--import', 'tsx', probe, '4', '250', '250'], {
      cwd: import.meta.dirname,
      timeout: 120_000,
    });
    const { runsPerWindow, frameBytes, growth } = JSON.parse(stdout) as {
      runsPerWindow: number;
      frameBytes: number;
      growth: Array<{ rss: number; arrayBuffers: number }>;
    };

    // Assess: a leak grows every window; the allocator's steps do not. An eighth of one
    // frame per run is the most any window may grow by.
    const perRun = growth.map((window) => window.rss / runsPerWindow);
    expect(Math.min(...perRun)).toBeLessThan(frameBytes / 8);
    for (const window of growth) expect(window.arrayBuffers).toBeLessThan(frameBytes);
  });
});
