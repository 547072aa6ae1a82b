/**
 * Where a job's CPU goes, stage by stage, outside the stack: each stage's work run alone on a
 * video of GRID clips, with the CPU seconds of this process and everything it starts. CPU
 * seconds, unlike wall time, hardly change with other people's load on a shared machine.
 * `tsx bench/profile-stages.ts [seconds]` (default 60).
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { SileroVoiceActivityDetector } from '../functions/lib/adapters/silero-vad';
import { readPcm16MonoWav } from '../functions/lib/media/wav';
import { detectSpeech } from '../functions/lib/speech/voice-activity';
import { preprocessVideo } from '../ec2-avhubert/src/preprocess/index';
import { defaultMediaTools } from '../ec2-avhubert/src/preprocess/ffmpeg';
import { REPO_ROOT } from '../scripts/build/functions';
import { parseTranscriptsTsv, type ReferenceClip } from '../scripts/gorggle-cli/evaluate';
import { detectFacesInVideo } from '../scripts/local-stack/emulators/rekognition/detect-video';
import { createFaceFinder } from '../scripts/local-stack/emulators/rekognition/face-finder';
import { recognise } from '../scripts/local-stack/emulators/transcribe/pocketsphinx';
import { keepOnlySpeech } from '../scripts/local-stack/emulators/transcribe/speech-only';
import { locateModel } from '../scripts/models/weights';
import { sampleProcessTree } from './process-sampler';

const run = promisify(execFile);
const GRID_DIR = path.resolve(REPO_ROOT, '..', 'shared', 'fixtures', 'grid');
const seconds = Number(process.argv[2] ?? 60);
const only = process.argv.slice(3);
const tools = defaultMediaTools();
const dir = mkdtempSync(path.join(os.tmpdir(), 'gorggle-profile-'));

async function measure<T>(name: string, work: () => Promise<T>): Promise<T> {
  const sampler = sampleProcessTree(100);
  const value = await work();
  const usage = sampler.stop();
  const programs = Object.entries(usage.cpuSecondsByProgram)
    .filter(([, s]) => s >= 0.05)
    .map(([p, s]) => `${p} ${s.toFixed(1)}`)
    .join(', ');
  console.log(
    `${name.padEnd(28)} wall ${usage.wallSeconds.toFixed(1).padStart(6)} s  CPU ${usage.cpuSeconds.toFixed(1).padStart(6)} s  ` +
      `(${(usage.cpuSeconds / seconds).toFixed(3)} CPU s per video s; ${programs}); load ${os.loadavg()[0]?.toFixed(1)}`,
  );
  return value;
}

try {
  const clips = parseTranscriptsTsv(readFileSync(path.join(GRID_DIR, 'transcripts.tsv'), 'utf8'));
  const list = path.join(dir, 'concat.txt');
  writeFileSync(
    list,
    Array.from(
      { length: Math.ceil(seconds / 3) },
      (_, i) => `file '${path.join(GRID_DIR, (clips[i % clips.length] as ReferenceClip).file)}'`,
    ).join('\n'),
  );
  const source = path.join(dir, 'source.mp4');
  await run('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-f',
    'concat',
    '-safe',
    '0',
    '-i',
    list,
    '-t',
    String(seconds),
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-pix_fmt',
    'yuv420p',
    '-r',
    '25',
    '-c:a',
    'aac',
    '-ar',
    '16000',
    source,
  ]);
  const video = path.join(dir, 'video.mp4');
  const wav = path.join(dir, 'audio.wav');
  await measure('extract: video.mp4 (x264)', () =>
    run(tools.ffmpegPath, [
      '-v',
      'error',
      '-y',
      '-i',
      source,
      '-vf',
      'fps=25,format=yuv420p',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-crf',
      '23',
      '-c:a',
      'aac',
      '-b:a',
      '128k',
      '-movflags',
      '+faststart',
      video,
    ]),
  );
  await measure('extract: audio.wav', () =>
    run(tools.ffmpegPath, ['-v', 'error', '-y', '-i', source, '-ac', '1', '-ar', '16000', '-c:a', 'pcm_s16le', wav]),
  );
  const vad = await SileroVoiceActivityDetector.load(await locateModel('silero-vad'));
  const speech = await measure(
    'extract: Silero VAD',
    async () => (await detectSpeech(await readPcm16MonoWav(wav), vad)).segments,
  );
  console.log(`  speech: ${speech.length} segments, ${speech.reduce((s, x) => s + x.end - x.start, 0).toFixed(1)} s`);
  if (!only.length || only.includes('transcribe')) {
    const speechWav = path.join(dir, 'speech.wav');
    copyFileSync(wav, speechWav);
    await measure('transcribe: VAD again', () => keepOnlySpeech(speechWav, vad));
    await measure('transcribe: pocketsphinx', () => recognise(speechWav));
  }
  if (!only.length || only.includes('faces')) {
    const finder = await createFaceFinder();
    const faces = await measure('faces: face-api at 5 fps', () =>
      detectFacesInVideo(video, { tools, finder, attributes: 'DEFAULT', intervalMs: 200 }),
    );
    console.log(`  faces: ${faces.faces.length} detections`);
  }
  if (!only.length || only.includes('lipreading')) {
    const result = await measure('lip reading: preprocess (dlib)', () =>
      preprocessVideo(video, { speechSegments: speech }),
    );
    console.log(`  lip reading: ${JSON.stringify(result.timings)}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
