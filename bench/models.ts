/**
 * Voice activity (Silero VAD) and active speaker detection (LR-ASD) on one minute of video: a
 * two-person video of ten GRID pairs (../shared/tools/make-two-speaker-clip.sh), extracted as the
 * pipeline does and its faces found by the local Rekognition stand-in. Prints medians and the
 * ratio to real time, per face track for ASD; then, measured but not a target, how often the
 * speaker outscores the listener when both move their lips (--both-talking).
 * Run by `make bench` (bench/run.ts) or alone: `tsx bench/models.ts`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ActiveSpeakerModel } from '../functions/lib/active-speaker/active-speaker-model';
import { detectActiveSpeakers } from '../functions/lib/active-speaker/detect-active-speakers';
import { FfmpegGreyFrames } from '../functions/lib/adapters/ffmpeg-grey-frames';
import { OnnxLrAsdModel } from '../functions/lib/adapters/lr-asd-onnx';
import { SileroVoiceActivityDetector } from '../functions/lib/adapters/silero-vad';
import { activeSpeakersDocumentSchema, facesDocumentSchema } from '../functions/lib/contracts/documents';
import { readPcm16MonoWav } from '../functions/lib/media/wav';
import { detectSpeech } from '../functions/lib/speech/voice-activity';
import { REPO_ROOT } from '../scripts/build/functions';
import { locateModel } from '../scripts/models/weights';
import { makeTwoSpeakerClip, prepareJob, PROCESSED, type PreparedJob } from '../test/support/active-speaker-scenario';
import { median } from './stats';

const GRID_DIR = path.resolve(REPO_ROOT, '..', 'shared', 'fixtures', 'grid');
/** The static ffmpeg the active-speaker zip carries (`make ffmpeg`). */
const FFMPEG = path.join(REPO_ROOT, '.gorggle', 'ffmpeg', 'ffmpeg');
const LR_ASD_WEIGHTS = process.env.LR_ASD_WEIGHTS ?? 'pretrain_AVA';
const LR_ASD_ONNX = path.join(REPO_ROOT, '.gorggle', 'models', 'lr-asd', `${LR_ASD_WEIGHTS}.onnx`);
const PAIRS: Array<[string, string]> = [
  ['bbaf2n', 'swwp2s'],
  ['lrwp9a', 'sbia1a'],
  ['swiz3n', 'brbk7n'],
  ['lbax4n', 'lbbc2a'],
  ['swwp2s', 'bbaf2n'],
  ['sbia1a', 'lrwp9a'],
  ['brbk7n', 'swiz3n'],
  ['lbbc2a', 'lbax4n'],
  ['bbaf2n', 'lrwp9a'],
  ['swiz3n', 'lbax4n'],
];
const VAD_RUNS = 5;
const ASD_RUNS = 3;
const TARGETS = { vadRtf: 0.01, asdRtfPerTrack: 0.1 };
const FPS = 25;

export interface ModelFigures {
  machine: string;
  durationSec: number;
  speechSec: number;
  vad: { medianSec: number; rtf: number; runs: number[] };
  asd: {
    tracks: number;
    framesScored: number;
    medianSec: number;
    rtfPerTrack: number;
    runs: number[];
    /** CPU seconds of this process (the model's threads included; ffmpeg's decode not). */
    cpuSec: number;
    /** Seconds inside the model, median run. */
    modelSec: number;
  };
  loadAverages: number[];
  /** Share of speech frames where the speaker outscores the listener. */
  separation: { idle: number; bothTalking: number; pairs: number };
}

const loadAverage = () => Number((os.loadavg()[0] ?? 0).toFixed(1));

function minuteOfTwoPeople(workDir: string): string {
  const list = PAIRS.map(([left, right], index) =>
    makeTwoSpeakerClip(
      path.join(GRID_DIR, `${left}.mpg`),
      path.join(GRID_DIR, `${right}.mpg`),
      path.join(workDir, `pair-${index}.mp4`),
    ),
  );
  const listFile = path.join(workDir, 'pairs.txt');
  writeFileSync(listFile, list.map((file) => `file '${file}'`).join('\n'));
  const minute = path.join(workDir, 'minute.mp4');
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'concat', '-safe', '0', '-i', listFile, '-c', 'copy', minute]);
  return minute;
}

function frameSource(videoPath: string, size: { width: number; height: number }) {
  return new FfmpegGreyFrames({ ffmpegPath: FFMPEG, videoPath, ...size, timeoutMs: () => 600_000 });
}

async function runAsd(prepared: PreparedJob, model: ActiveSpeakerModel, workRoot: string) {
  const step = await detectActiveSpeakers(
    prepared.input,
    { objects: prepared.store, model: async () => model, frames: frameSource },
    { processedBucket: PROCESSED, workRoot },
  );
  if (!step.output) throw new Error(`The active-speaker step wrote nothing: ${JSON.stringify(step)}`);
  return activeSpeakersDocumentSchema.parse(JSON.parse(await prepared.store.getText(step.output)));
}

/** For each speech frame of a two-person video, whether the person speaking (left, then right) scores higher. */
async function speakerWins(prepared: PreparedJob, model: ActiveSpeakerModel, workRoot: string): Promise<boolean[]> {
  const speakers = await runAsd(prepared, model, workRoot);
  const facesRef = prepared.input.faces.output;
  if (!facesRef) throw new Error('No faces.json to read');
  const faces = facesDocumentSchema.parse(JSON.parse(await prepared.store.getText(facesRef)));
  const meanLeft = (trackId: string) => {
    const boxes = faces.detections.filter((detection) => detection.trackId === trackId);
    return boxes.reduce((sum, detection) => sum + detection.box.left, 0) / boxes.length;
  };
  const [left, right] = [...speakers.tracks].sort((a, b) => meanLeft(a.trackId) - meanLeft(b.trackId));
  if (!left || !right) return [];
  const wins: boolean[] = [];
  for (let frame = 0; frame < 6 * FPS; frame++) {
    const l = left.scores[frame - left.firstFrame] ?? null;
    const r = right.scores[frame - right.firstFrame] ?? null;
    if (l !== null && r !== null) wins.push(frame < 3 * FPS ? l > r : r > l);
  }
  return wins;
}

export async function measureModels(): Promise<ModelFigures> {
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'gorggle-bench-models-'));
  try {
    const loadAverages = [loadAverage()];
    const prepared = await prepareJob(minuteOfTwoPeople(workDir), 'minute', workDir);
    const { durationSec } = prepared.input.job.media;

    const audioRef = prepared.input.job.media.audio;
    if (!audioRef) throw new Error('The benchmark video has no audio');
    const audio = await readPcm16MonoWav(prepared.store.pathOf(audioRef));
    const vad = await SileroVoiceActivityDetector.load(await locateModel('silero-vad'));
    await detectSpeech(audio, vad); // warm-up
    const vadRuns: number[] = [];
    let speechSec = 0;
    for (let run = 0; run < VAD_RUNS; run++) {
      const started = performance.now();
      speechSec = (await detectSpeech(audio, vad)).speechSec;
      vadRuns.push((performance.now() - started) / 1000);
    }

    const lrAsd = await OnnxLrAsdModel.load(LR_ASD_ONNX);
    let modelMs = 0;
    let framesScored = 0;
    const timed: ActiveSpeakerModel = {
      model: lrAsd.model,
      async score(window) {
        const started = performance.now();
        const scores = await lrAsd.score(window);
        modelMs += performance.now() - started;
        framesScored += window.frames;
        return scores;
      },
    };
    const asdRuns: Array<{ wall: number; cpu: number; model: number; frames: number; tracks: number }> = [];
    for (let run = 0; run < ASD_RUNS; run++) {
      loadAverages.push(loadAverage());
      modelMs = 0;
      framesScored = 0;
      const cpu = process.cpuUsage();
      const started = performance.now();
      const speakers = await runAsd(prepared, timed, workDir);
      const used = process.cpuUsage(cpu);
      asdRuns.push({
        wall: (performance.now() - started) / 1000,
        cpu: (used.user + used.system) / 1e6,
        model: modelMs / 1000,
        frames: framesScored,
        tracks: speakers.tracks.length,
      });
    }
    const middle = [...asdRuns].sort((a, b) => a.wall - b.wall)[Math.floor(asdRuns.length / 2)];
    if (!middle) throw new Error('No ASD run');

    const wins = { idle: [] as boolean[], bothTalking: [] as boolean[] };
    for (const [index, [left, right]] of PAIRS.slice(0, 3).entries()) {
      for (const mode of ['idle', 'bothTalking'] as const) {
        const video = makeTwoSpeakerClip(
          path.join(GRID_DIR, `${left}.mpg`),
          path.join(GRID_DIR, `${right}.mpg`),
          path.join(workDir, `${mode}-${index}.mp4`),
          { bothTalking: mode === 'bothTalking' },
        );
        const pair = await prepareJob(video, `${mode}-${index}`, workDir);
        wins[mode].push(...(await speakerWins(pair, lrAsd, workDir)));
      }
    }
    const share = (values: boolean[]) => values.filter(Boolean).length / Math.max(1, values.length);

    return {
      machine: `${os.cpus().length} cores (${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}), Node ${process.version}`,
      durationSec,
      speechSec,
      vad: { medianSec: median(vadRuns), rtf: median(vadRuns) / durationSec, runs: vadRuns },
      asd: {
        tracks: middle.tracks,
        framesScored: middle.frames,
        medianSec: middle.wall,
        rtfPerTrack: middle.wall / (durationSec * Math.max(1, middle.tracks)),
        runs: asdRuns.map((run) => run.wall),
        cpuSec: middle.cpu,
        modelSec: middle.model,
      },
      loadAverages,
      separation: { idle: share(wins.idle), bothTalking: share(wins.bothTalking), pairs: 3 },
    };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

const verdict = (ratio: number, target: number) =>
  `${ratio <= target ? 'meets' : 'misses'} (${(ratio / target).toFixed(2)}x)`;

export function printModels(figures: ModelFigures): void {
  const { vad, asd, separation } = figures;
  const seconds = (values: number[]) => values.map((value) => value.toFixed(2)).join(', ');
  console.log(`\nSpeech and speakers on ${figures.durationSec.toFixed(1)} s of two-person video (${figures.machine})`);
  console.log(`  load average (1 min) at the start and before each ASD run: ${figures.loadAverages.join(', ')}`);
  console.log(`  speech found: ${figures.speechSec.toFixed(1)} s`);
  console.log(
    `  VAD (Silero): median ${vad.medianSec.toFixed(3)} s of ${VAD_RUNS} (${seconds(vad.runs)}), ` +
      `RTF ${vad.rtf.toFixed(4)}; target <= ${TARGETS.vadRtf}: ${verdict(vad.rtf, TARGETS.vadRtf)}`,
  );
  console.log(
    `  ASD (LR-ASD, ${asd.tracks} face tracks, ${asd.framesScored} frames scored): median ${asd.medianSec.toFixed(2)} s ` +
      `of ${ASD_RUNS} (${seconds(asd.runs)}), ${asd.modelSec.toFixed(2)} s in the model, ${asd.cpuSec.toFixed(1)} CPU s`,
  );
  console.log(
    `  ASD per face track: RTF ${asd.rtfPerTrack.toFixed(3)}; target <= ${TARGETS.asdRtfPerTrack}: ` +
      verdict(asd.rtfPerTrack, TARGETS.asdRtfPerTrack),
  );
  console.log(
    `  speaker above listener on speech frames (${separation.pairs} pairs): listener idle ` +
      `${(100 * separation.idle).toFixed(1)}%, both mouthing (--both-talking) ${(100 * separation.bothTalking).toFixed(1)}% (measured, no target)`,
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  printModels(await measureModels());
}
