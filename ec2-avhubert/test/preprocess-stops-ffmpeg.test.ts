/**
 * "A job that times out or is shut down stops its ffmpeg at once" (README), checked on the
 * real ffmpeg process: its pid is read from /proc while it decodes a long video, and must be
 * gone soon after the consumer stops. Without the kill, ffmpeg would sit blocked on a full
 * pipe for as long as this process lives.
 */
import { execFileSync } from 'node:child_process';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLipReadingRunner, type ModelLike } from '../src/pipeline/lip-read-job';
import { preprocessVideoStream, type LandmarkEngine } from '../src/preprocess';
import { decodeVideoFrames, defaultMediaTools } from '../src/preprocess/ffmpeg';
import { JobFailure } from '../src/server/job-queue';
import { silentLogger } from '../src/server/logger';

const SIZE = { width: 64, height: 48 };
const SECONDS = 60;
/** Generous: the kill is immediate, but this machine may be busy. */
const GONE_WITHIN_MS = 15_000;

/** Pids of the ffmpeg processes below this one (any depth), from /proc. */
function ffmpegDescendants(): number[] {
  const parentOf = new Map<number, number>();
  const nameOf = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces, so split after its closing parenthesis.
      const close = stat.lastIndexOf(')');
      nameOf.set(Number(entry), stat.slice(stat.indexOf('(') + 1, close));
      parentOf.set(Number(entry), Number(stat.slice(close + 2).split(' ')[1]));
    } catch {
      // The process ended while we looked.
    }
  }
  const below = (pid: number): boolean => {
    for (let parent = parentOf.get(pid); parent && parent > 1; parent = parentOf.get(parent)) {
      if (parent === process.pid) return true;
    }
    return false;
  };
  return [...nameOf].filter(([pid, name]) => name.startsWith('ffmpeg') && below(pid)).map(([pid]) => pid);
}

const isRunning = (pid: number) =>
  existsSync(`/proc/${pid}`) && !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));

async function waitUntilGone(pids: number[]): Promise<number[]> {
  const deadline = Date.now() + GONE_WITHIN_MS;
  let left = pids.filter(isRunning);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    left = left.filter(isRunning);
  }
  return left;
}

/** Finds no face, at once: the test is about ffmpeg, not landmarks. */
const faceless: LandmarkEngine = {
  detectFace: async () => null,
  landmarks: async () => [],
};

describe('stopping a decode early stops its ffmpeg', () => {
  let workDir: string;
  let longVideo: string;
  let seen: number[] = [];

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(os.tmpdir(), 'gorggle-ffmpeg-stop-'));
    longVideo = path.join(workDir, 'long.mp4');
    execFileSync('ffmpeg', [
      ...['-v', 'error', '-nostdin', '-y', '-f', 'lavfi'],
      ...['-i', `testsrc2=size=${SIZE.width}x${SIZE.height}:rate=25:duration=${SECONDS}`],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', longVideo],
    ]);
  });

  afterEach(() => {
    // Whatever a failed test left behind.
    for (const pid of seen.filter(isRunning)) process.kill(pid, 'SIGKILL');
    seen = [];
  });

  afterAll(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  it('decodeVideoFrames: leaving the loop after a few frames kills ffmpeg', async () => {
    // Prepare
    const frames = decodeVideoFrames(longVideo, SIZE, 25, defaultMediaTools());

    // Act
    let taken = 0;
    for await (const frame of frames) {
      expect(frame.data).toHaveLength(SIZE.width * SIZE.height * 3);
      if (taken === 0) seen = ffmpegDescendants();
      if (++taken === 3) break;
    }
    const left = await waitUntilGone(seen);

    // Assess
    expect(seen).toHaveLength(1);
    expect(left).toEqual([]);
  });

  it("decodeVideoFrames: the job's signal kills ffmpeg while the consumer still holds the stream", async () => {
    // Prepare
    const controller = new AbortController();
    const stopped = new JobFailure('shutdown', 'The server is shutting down.');
    const frames = decodeVideoFrames(longVideo, SIZE, 25, defaultMediaTools(), { signal: controller.signal });
    const first = await frames.next();
    seen = ffmpegDescendants();

    // Act: the consumer neither reads on nor returns, so only the signal can stop ffmpeg.
    controller.abort(stopped);
    const left = await waitUntilGone(seen);
    const rest = await (async () => {
      for await (const frame of frames) void frame;
    })().catch((error: unknown) => error);

    // Assess
    expect(first.done).toBe(false);
    expect(seen).toHaveLength(1);
    expect(left).toEqual([]);
    expect(rest).toBe(stopped);
  });

  it('a lip-reading job stopped mid-video (its timeout) fails as timed out and kills its ffmpeg', async () => {
    // Prepare
    const controller = new AbortController();
    const model: ModelLike = {
      name: 'never-called',
      mode: 'vsr',
      transcribe: async () => {
        throw new Error('no chunk has a face, so the model is never asked');
      },
    };
    const run = createLipReadingRunner({
      store: {
        download: async (_ref, filePath) => copyFile(longVideo, filePath),
        putText: async () => {
          throw new Error('a stopped job writes no result');
        },
      },
      model,
      tmpDir: workDir,
      maxChunkSeconds: 1,
      preprocess: (filePath, options) =>
        preprocessVideoStream(filePath, {
          ...options,
          engine: faceless,
          onAlignedFrame: ({ frameIndex }) => {
            if (frameIndex !== 40) return;
            seen = ffmpegDescendants();
            controller.abort(new JobFailure('timeout', 'The job ran past its time limit.'));
          },
        }),
    });

    // Act
    const failure = await run({
      id: '00000000-0000-4000-8000-000000000002',
      request: { video: { bucket: 'processed', key: 'jobs/long/video.mp4' }, mode: 'vsr' },
      signal: controller.signal,
      log: silentLogger,
    }).catch((error: unknown) => error);
    const left = await waitUntilGone(seen);

    // Assess
    expect(failure).toMatchObject({ reason: 'timeout' });
    expect(seen).toHaveLength(1);
    expect(left).toEqual([]);
  });
});
