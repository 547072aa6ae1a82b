import type { ActiveSpeakerModel, ScoringWindow } from '../../../functions/lib/active-speaker/active-speaker-model';
import { detectActiveSpeakers } from '../../../functions/lib/active-speaker/detect-active-speakers';
import type { FrameRange, GreyFrameSource } from '../../../functions/lib/active-speaker/frame-source';
import {
  CONTEXT_FRAMES,
  decodeRanges,
  MAX_WINDOW_FRAMES,
  planScoring,
} from '../../../functions/lib/active-speaker/score-tracks';
import {
  activeSpeakersDocumentSchema,
  type FacesDocument,
  type SpeechDocument,
} from '../../../functions/lib/contracts/documents';
import type { ActiveSpeakerTaskInput } from '../../../functions/lib/contracts/pipeline';
import { writeFile } from 'node:fs/promises';
import type { S3Ref } from '../../../functions/lib/contracts/common';
import type { ObjectStore } from '../../../functions/lib/ports';
import { InMemoryObjectStore } from '../fuse/builders';

const PROCESSED = 'processed';
const JOB = 'job-asd';
const ref = (name: string) => ({ bucket: PROCESSED, key: `jobs/${JOB}/${name}` });

/** Two faces, left and right, seen every 0.2 s over a 4 s video. */
function twoFaces(): FacesDocument {
  const times = Array.from({ length: 20 }, (_, index) => Number((index * 0.2).toFixed(1)));
  const box = (left: number) => ({ left, top: 0.3, width: 0.2, height: 0.3 });
  return {
    version: 1,
    frameIntervalSec: 0.2,
    durationSec: 4,
    detections: times.flatMap((time) => [
      { time, trackId: 'face-1', box: box(0.1), confidence: 0.99 },
      { time, trackId: 'face-2', box: box(0.6), confidence: 0.99 },
    ]),
    tracks: ['face-1', 'face-2'].map((trackId) => ({ trackId, firstSeen: 0, lastSeen: 3.8, detections: 20 })),
  };
}

const speech = (segments: SpeechDocument['segments']): SpeechDocument => ({
  version: 1,
  model: { name: 'silero-vad', sha256: 'b'.repeat(64) },
  sampleRate: 16000,
  durationSec: 4,
  settings: { threshold: 0.5, minSpeechSec: 0.25, minSilenceSec: 0.1, padSec: 0.03 },
  segments,
  speechSec: segments.reduce((total, { start, end }) => total + end - start, 0),
});

function taskInput(options: { hasAudio?: boolean; speech?: boolean } = {}): ActiveSpeakerTaskInput {
  const hasAudio = options.hasAudio ?? true;
  return {
    job: {
      jobId: JOB,
      source: { bucket: 'uploads', key: 'uploads/two.mp4', etag: 'e', size: 1 },
      kind: 'upload',
      media: {
        durationSec: 4,
        hasAudio,
        hasVideo: true,
        width: 320,
        height: 240,
        fps: 25,
        probe: ref('probe.json'),
        video: ref('video.mp4'),
        ...(hasAudio ? { audio: ref('audio.wav') } : {}),
        ...(hasAudio && options.speech !== false
          ? { speech: { output: ref('speech.json'), segments: 1, speechSec: 1 } }
          : {}),
      },
    },
    faces: {
      modality: 'faces',
      status: 'succeeded',
      attempts: 2,
      waitSeconds: 1,
      startedAt: '2025-06-01T10:00:00.000Z',
      output: ref('faces.json'),
    },
  };
}

/** A 1 s, 16 kHz mono wav of silence, as download() would write it. */
function silentWav(): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFFxxxxWAVEfmt ', 0, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(16000, 24);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(32000, 40);
  return Buffer.concat([header, Buffer.alloc(32000)]);
}

/** Documents in memory; download() writes what the step would fetch: a silent wav, placeholder video bytes. */
class Store implements ObjectStore {
  readonly downloads: string[] = [];
  private readonly documents = new InMemoryObjectStore();

  seed(ref: S3Ref, body: object): this {
    this.documents.seed(ref, body);
    return this;
  }

  getText(ref: S3Ref): Promise<string> {
    return this.documents.getText(ref);
  }

  putText(ref: S3Ref, body: string, contentType: string): Promise<void> {
    return this.documents.putText(ref, body, contentType);
  }

  async download(source: S3Ref, filePath: string): Promise<void> {
    this.downloads.push(source.key);
    await writeFile(filePath, source.key.endsWith('.wav') ? silentWav() : 'mp4 bytes');
  }

  head(): never {
    throw new Error('the step does not head objects');
  }
  uploadFile(): never {
    throw new Error('the step uploads no files');
  }
  getStream(): never {
    throw new Error('the step streams nothing');
  }
}

/** A model that says the left face (brighter crops) speaks: its logit is the crop's mean grey minus 100. */
function brightnessModel(): ActiveSpeakerModel & { windows: ScoringWindow[] } {
  const windows: ScoringWindow[] = [];
  return {
    windows,
    model: { name: 'lr-asd', weights: 'pretrain_AVA', sha256: 'c'.repeat(64) },
    async score(window) {
      windows.push(window);
      const perFrame = window.faces.length / window.frames;
      return Float32Array.from({ length: window.frames }, (_, frame) => {
        let sum = 0;
        for (let at = frame * perFrame; at < (frame + 1) * perFrame; at++) sum += window.faces[at] ?? 0;
        return sum / perFrame - 100;
      });
    },
  };
}

/** Frames whose left half is white and right half black; records what was asked for. */
function halfWhiteFrames(width: number, height: number, ranges: FrameRange[][]): GreyFrameSource {
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) pixels.fill(255, y * width, y * width + width / 2);
  return {
    width,
    height,
    async *frames(requested) {
      ranges.push([...requested]);
      for (const { from, to } of requested)
        for (let index = from; index < Math.min(to, 100); index++) yield { index, frame: { width, height, pixels } };
    },
  };
}

async function run(input: ActiveSpeakerTaskInput, store: Store, model = brightnessModel()) {
  const ranges: FrameRange[][] = [];
  const step = await detectActiveSpeakers(
    input,
    { objects: store, model: async () => model, frames: (_, size) => halfWhiteFrames(size.width, size.height, ranges) },
    { processedBucket: PROCESSED },
  );
  const document = step.output
    ? activeSpeakersDocumentSchema.parse(JSON.parse(await store.getText(step.output)))
    : undefined;
  return { step, document, model, ranges };
}

describe('detectActiveSpeakers', () => {
  it('scores each face during speech only, and leaves the rest of its frames null', async () => {
    // Prepare: speech from 1 s to 2 s
    const store = new Store()
      .seed(ref('faces.json'), twoFaces())
      .seed(ref('speech.json'), speech([{ start: 1, end: 2 }]));

    // Act
    const { step, document, model, ranges } = await run(taskInput(), store);

    // Assess
    expect(step).toEqual({ status: 'succeeded', output: ref('speakers.json') });
    expect(document!.tracks.map((track) => track.trackId)).toEqual(['face-1', 'face-2']);
    const [left, right] = document!.tracks;
    const scored = (track: typeof left) =>
      track!.scores.flatMap((score, offset) => (score === null ? [] : [track!.firstFrame + offset]));
    expect(scored(left)).toEqual(Array.from({ length: 25 }, (_, index) => 25 + index));
    expect(scored(right)).toEqual(scored(left));
    expect(left!.scores.filter((score) => score !== null).every((score) => score! > 0)).toBe(true);
    expect(right!.scores.filter((score) => score !== null).every((score) => score! < 0)).toBe(true);
    // One window per face, with context around the speech; one decode run for both.
    expect(model.windows.map((window) => window.frames)).toEqual([25 + 2 * CONTEXT_FRAMES, 25 + 2 * CONTEXT_FRAMES]);
    expect(model.windows[0]!.mfcc).toHaveLength(4 * model.windows[0]!.frames * 13);
    expect(ranges).toEqual([[{ from: 25 - CONTEXT_FRAMES, to: 50 + CONTEXT_FRAMES }]]);
    expect(store.downloads.sort()).toEqual([`jobs/${JOB}/audio.wav`, `jobs/${JOB}/video.mp4`]);
  });

  it('writes unscored tracks with the reason "no speech", decoding nothing, when no one speaks', async () => {
    // Prepare
    const store = new Store().seed(ref('faces.json'), twoFaces()).seed(ref('speech.json'), speech([]));

    // Act
    const { step, document, model, ranges } = await run(taskInput(), store);

    // Assess
    expect(step.status).toBe('succeeded');
    expect(document!.reason).toBe('no speech');
    expect(document!.tracks).toHaveLength(2);
    expect(
      document!.tracks.every((track) => track.scores.length > 90 && track.scores.every((score) => score === null)),
    ).toBe(true);
    expect(model.windows).toEqual([]);
    expect(ranges).toEqual([]);
    expect(store.downloads).toEqual([]);
  });

  it('scores every frame when extract gave no speech segments', async () => {
    const store = new Store().seed(ref('faces.json'), twoFaces());
    const { document } = await run(taskInput({ speech: false }), store);
    expect(document!.reason).toBeUndefined();
    expect(document!.tracks[0]!.scores.every((score) => score !== null)).toBe(true);
  });

  it('skips, saying why, when there is no sound or no face', async () => {
    expect((await run(taskInput({ hasAudio: false }), new Store())).step).toEqual({
      status: 'skipped',
      reason: 'no audio stream',
    });
    const empty = { ...twoFaces(), detections: [], tracks: [] };
    expect((await run(taskInput(), new Store().seed(ref('faces.json'), empty))).step).toEqual({
      status: 'skipped',
      reason: 'no faces on screen',
    });
  });

  it('fails when the model fails, so the state machine records it (and the faces stand)', async () => {
    // Prepare
    const store = new Store()
      .seed(ref('faces.json'), twoFaces())
      .seed(ref('speech.json'), speech([{ start: 1, end: 2 }]));
    const broken = { ...brightnessModel(), score: () => Promise.reject(new Error('onnxruntime: bad input')) };

    // Act
    const result = run(taskInput(), store, broken);

    // Assess
    await expect(result).rejects.toThrow('onnxruntime: bad input');
  });
});

describe('planning the model runs', () => {
  const track = (firstFrame: number, length: number) => ({
    trackId: 't',
    firstFrame,
    squares: Array.from({ length }, () => ({ cx: 0, cy: 0, half: 1 })),
  });

  it('cuts long speech into even windows of at most 10 s, each with context inside the track', () => {
    // Prepare: 600 frames of speech, a track over all of them
    const inSpeech = new Uint8Array(700).fill(1, 50, 650);

    // Act
    const plans = planScoring([track(40, 620)], inSpeech);

    // Assess
    expect(plans.map(({ reportFrom, reportTo }) => [reportFrom, reportTo])).toEqual([
      [50, 250],
      [250, 450],
      [450, 650],
    ]);
    expect(plans.every(({ reportFrom, reportTo }) => reportTo - reportFrom <= MAX_WINDOW_FRAMES)).toBe(true);
    expect(plans.map(({ from, to }) => [from, to])).toEqual([
      [40, 250 + CONTEXT_FRAMES],
      [250 - CONTEXT_FRAMES, 450 + CONTEXT_FRAMES],
      [450 - CONTEXT_FRAMES, 660],
    ]);
  });

  it('decodes nearby windows in one run and seeks over long silences', () => {
    const plans = [
      { track: 0, from: 0, to: 40, reportFrom: 0, reportTo: 28 },
      { track: 1, from: 60, to: 100, reportFrom: 72, reportTo: 88 },
      { track: 0, from: 500, to: 540, reportFrom: 512, reportTo: 528 },
    ];
    expect(decodeRanges(plans)).toEqual([
      { from: 0, to: 100 },
      { from: 500, to: 540 },
    ]);
  });
});
