/**
 * Makes the default sample video for `make local` on a fresh clone, where no GRID fixtures
 * exist and no media may be committed: flite speaks a sentence, and a drawn face "says" it,
 * its mouth opening with the loudness of the speech. Writes an H.264/AAC MP4.
 *
 * face-api's TinyFaceDetector does find this face: at its default 224 input it scores it
 * 0.93-0.97 with the mouth closed or open (test/emulators/sample-clip.test.ts checks that a
 * face is found). Lip reading will not read a drawn mouth, and no test asks it to.
 *
 *   npx tsx scripts/make-sample-clip.ts [--out .gorggle/samples/sample.mp4] [--text "..."] [--force]
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export const DEFAULT_SAMPLE_PATH = path.resolve(import.meta.dirname, '..', '.gorggle', 'samples', 'sample.mp4');
/** pocketsphinx transcribes this sentence in flite's kal16 voice word for word. */
export const DEFAULT_SAMPLE_TEXT = 'Hello world. This is a test of the speech recognition system.';

const WIDTH = 640;
const HEIGHT = 480;
const FPS = 25;
const SAMPLE_RATE = 16_000;
/** Silence before and after the speech, seconds: a face is in view before anyone talks. */
const PADDING_SEC = 0.5;

export interface SampleClipOptions {
  out?: string;
  text?: string;
  /** Remake the clip even if it exists. */
  force?: boolean;
  ffmpegPath?: string;
  flitePath?: string;
}

/** Makes the clip (unless it exists) and returns its path. */
export async function makeSampleClip(options: SampleClipOptions = {}): Promise<string> {
  const out = path.resolve(options.out ?? DEFAULT_SAMPLE_PATH);
  if (existsSync(out) && !options.force) return out;
  const ffmpeg = options.ffmpegPath ?? process.env.FFMPEG_PATH ?? 'ffmpeg';
  const work = await mkdtemp(path.join(os.tmpdir(), 'gorggle-sample-'));
  try {
    const speech = path.join(work, 'speech.wav');
    await run(options.flitePath ?? 'flite', [
      '-voice',
      'kal16',
      '-t',
      options.text ?? DEFAULT_SAMPLE_TEXT,
      '-o',
      speech,
    ]);
    const padded = path.join(work, 'padded.wav');
    const padMs = Math.round(PADDING_SEC * 1000);
    await run(ffmpeg, [
      ...['-v', 'error', '-nostdin', '-y', '-i', speech],
      ...['-af', `adelay=${padMs},apad=pad_dur=${PADDING_SEC}`, '-ac', '1', '-ar', String(SAMPLE_RATE), padded],
    ]);
    const samples = await readPcm(ffmpeg, padded);
    const openings = mouthOpenings(samples);

    await mkdir(path.dirname(out), { recursive: true });
    // Beside the target, then renamed: a stopped run never leaves half a clip at `out`.
    const partial = `${out}.${process.pid}.partial`;
    try {
      await encode(ffmpeg, padded, openings, partial);
      await rename(partial, out);
    } finally {
      await rm(partial, { force: true });
    }
    return out;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** One value per video frame, 0 (closed) to 1 (wide open), from the loudness of that frame's audio. */
export function mouthOpenings(samples: Int16Array): number[] {
  const perFrame = SAMPLE_RATE / FPS;
  const frames = Math.ceil(samples.length / perFrame);
  const levels: number[] = [];
  for (let frame = 0; frame < frames; frame++) {
    let sum = 0;
    const start = frame * perFrame;
    const end = Math.min(samples.length, start + perFrame);
    for (let i = start; i < end; i++) sum += (samples[i] ?? 0) ** 2;
    const rms = Math.sqrt(sum / Math.max(1, end - start)) / 32768;
    // -45 dBFS and below is closed, -15 dBFS and above is wide open.
    const db = 20 * Math.log10(rms + 1e-9);
    levels.push(Math.min(1, Math.max(0, (db + 45) / 30)));
  }
  // A light smoothing: real lips do not snap shut between syllables.
  return levels.map((level, i) => 0.25 * (levels[i - 1] ?? level) + 0.5 * level + 0.25 * (levels[i + 1] ?? level));
}

async function encode(ffmpeg: string, audioPath: string, openings: number[], out: string): Promise<void> {
  const child = spawn(
    ffmpeg,
    [
      ...['-v', 'error', '-nostdin', '-y'],
      ...['-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${WIDTH}x${HEIGHT}`, '-r', String(FPS), '-i', 'pipe:0'],
      ...['-i', audioPath, '-map', '0:v', '-map', '1:a'],
      ...['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '20', '-pix_fmt', 'yuv420p'],
      ...['-c:a', 'aac', '-b:a', '96k', '-shortest', '-movflags', '+faststart', '-f', 'mp4', out],
    ],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  const exit = exitOf(child, ffmpeg);
  const base = drawHead();
  for (const opening of openings) {
    const frame = Uint8Array.from(base);
    drawMouth(frame, opening);
    if (!child.stdin.write(frame)) await Promise.race([once(child.stdin, 'drain'), exit]);
  }
  child.stdin.end();
  await exit;
}

async function readPcm(ffmpeg: string, wavPath: string): Promise<Int16Array> {
  const child = spawn(ffmpeg, ['-v', 'error', '-nostdin', '-i', wavPath, '-f', 's16le', '-ac', '1', 'pipe:1'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  await exitOf(child, ffmpeg);
  const bytes = Buffer.concat(chunks);
  const aligned = new Uint8Array(bytes.length - (bytes.length % 2));
  aligned.set(bytes.subarray(0, aligned.length));
  return new Int16Array(aligned.buffer);
}

function run(command: string, args: string[]): Promise<void> {
  return exitOf(spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] }), command);
}

function exitOf(child: ReturnType<typeof spawn>, command: string): Promise<void> {
  const errors: Buffer[] = [];
  child.stderr?.on('data', (data: Buffer) => errors.push(data));
  return new Promise((resolve, reject) => {
    child.once('error', (error) =>
      reject(new Error(`Could not run ${command}: ${error.message}. Run scripts/setup/install-debian-packages.sh.`)),
    );
    child.once('close', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${command} failed (${code}): ${Buffer.concat(errors).toString('utf8').trim()}`)),
    );
  });
}

type Rgb = [number, number, number];

const CENTRE_X = WIDTH / 2;
const CENTRE_Y = HEIGHT / 2 + 10;
const MOUTH_Y = CENTRE_Y + 75;
const MOUTH_HALF_WIDTH = 36;
const MAX_MOUTH_HALF_HEIGHT = 2 + 16 + 7;

function mix(a: Rgb, b: Rgb, t: number): Rgb {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

function put(image: Uint8Array, x: number, y: number, colour: Rgb): void {
  const offset = (y * WIDTH + x) * 3;
  for (let c = 0; c < 3; c++) image[offset + c] = Math.max(0, Math.min(255, Math.round(colour[c] ?? 0)));
}

/** A shaded head and shoulders in front of a wall, without the mouth. */
function drawHead(): Uint8Array {
  const image = new Uint8Array(WIDTH * HEIGHT * 3);
  const faceRadiusX = 105;
  const faceRadiusY = 140;
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) {
      let colour: Rgb = [90 + 40 * (y / HEIGHT), 100 + 30 * (y / HEIGHT), 110];
      if (Math.abs(x - CENTRE_X) < 55 && y > CENTRE_Y + 100) colour = [160, 120, 96];
      if (((x - CENTRE_X) / 260) ** 2 + ((y - (HEIGHT + 60)) / 150) ** 2 < 1) colour = [40, 60, 110];
      for (const side of [-1, 1]) {
        if (((x - (CENTRE_X + side * (faceRadiusX + 5))) / 18) ** 2 + ((y - (CENTRE_Y - 5)) / 35) ** 2 < 1) {
          colour = [190, 135, 110];
        }
      }
      const nx = (x - CENTRE_X) / faceRadiusX;
      const ny = (y - CENTRE_Y) / faceRadiusY;
      const r2 = nx * nx + ny * ny;
      if (r2 < 1) {
        // Lit from the upper left, darker towards the rim.
        const shade = 0.75 + 0.25 * (1 - r2) - 0.08 * nx;
        colour = ny < -0.55 + 0.15 * nx * nx ? [60, 40, 30] : [225 * shade, 172 * shade, 140 * shade];
      }
      for (const side of [-1, 1]) {
        const bx = x - (CENTRE_X + side * 42);
        const by = y - (CENTRE_Y - 52);
        if (Math.abs(bx) < 28 && Math.abs(by + 0.006 * bx * bx) < 5) colour = [70, 50, 40];
        const ex = (x - (CENTRE_X + side * 42)) / 24;
        const ey = (y - (CENTRE_Y - 25)) / 11;
        const d = ex * ex + ey * ey;
        if (d >= 1 && d < 1.6) colour = mix(colour, [150, 100, 85], 0.5);
        if (d < 1) {
          const iris = Math.hypot(x - (CENTRE_X + side * 42), y - (CENTRE_Y - 25));
          colour = ey < -0.7 ? [90, 60, 50] : iris < 4 ? [10, 10, 10] : iris < 9 ? [80, 60, 40] : [240, 240, 235];
        }
      }
      const down = y - (CENTRE_Y - 20);
      if (down > 0 && down < 55) {
        const half = 6 + down * 0.22;
        const dx = x - CENTRE_X;
        if (dx > half - 5 && dx < half + 2) colour = mix(colour, [130, 85, 70], 0.6);
      }
      for (const side of [-1, 1]) {
        if (((x - (CENTRE_X + side * 11)) / 7) ** 2 + ((y - (CENTRE_Y + 35)) / 4) ** 2 < 1) colour = [90, 50, 45];
      }
      const tip = ((x - CENTRE_X) / 16) ** 2 + ((y - (CENTRE_Y + 28)) / 10) ** 2;
      if (tip < 1) colour = mix(colour, [235, 180, 150], 0.5 * (1 - tip));
      put(image, x, y, colour);
    }
  }
  return image;
}

/** Lips, teeth and the dark of the mouth, opened by `opening` (0..1). */
function drawMouth(image: Uint8Array, opening: number): void {
  const open = 2 + opening * 16;
  for (let y = MOUTH_Y - MAX_MOUTH_HALF_HEIGHT; y <= MOUTH_Y + MAX_MOUTH_HALF_HEIGHT; y++) {
    for (let x = CENTRE_X - MOUTH_HALF_WIDTH; x <= CENTRE_X + MOUTH_HALF_WIDTH; x++) {
      const mx = (x - CENTRE_X) / MOUTH_HALF_WIDTH;
      const my = (y - MOUTH_Y) / (open + 7);
      if (mx * mx + my * my >= 1) continue;
      const inner = mx * mx + ((y - MOUTH_Y) / open) ** 2 < 0.85;
      const colour: Rgb = !inner ? [175, 70, 75] : y < MOUTH_Y - open * 0.5 ? [230, 225, 215] : [50, 15, 20];
      put(image, x, y, colour);
    }
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      text: { type: 'string' },
      force: { type: 'boolean', default: false },
    },
  });
  makeSampleClip({ out: values.out, text: values.text, force: values.force }).then(
    (out) => console.log(out),
    (error: unknown) => {
      console.error(`Could not make the sample clip: ${(error as Error).message}`);
      process.exitCode = 1;
    },
  );
}
