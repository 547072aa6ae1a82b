import { lipReadingDocumentSchema } from '../../functions/lib/contracts/documents';
import { SourceObjectMissingError } from '../../functions/lib/errors';
import { buildLipReadingDocument } from '../src/pipeline/document';
import {
  createLipReadingRunner,
  NO_SPEECH,
  resultKeyFor,
  type ModelLike,
  type ObjectStoreLike,
  type PreprocessStreamFn,
  type PreprocessStreamItemLike,
} from '../src/pipeline/lip-read-job';
import { PreprocessError } from '../src/preprocess/errors';
import { JobFailure, type JobContext } from '../src/server/job-queue';
import { silentLogger } from '../src/server/logger';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** The glue between S3, preprocessing and the model, with each side replaced by a small in-memory double. */

class MemoryStore implements ObjectStoreLike {
  readonly objects = new Map<string, string>();
  downloadedTo: string[] = [];
  async download(ref: { bucket: string; key: string }, filePath: string) {
    const body = this.objects.get(`${ref.bucket}/${ref.key}`);
    if (body === undefined)
      throw new SourceObjectMissingError(`s3://${ref.bucket}/${ref.key} does not exist any more.`);
    this.downloadedTo.push(filePath);
    await writeFile(filePath, body);
  }
  async putText(ref: { bucket: string; key: string }, body: string) {
    this.objects.set(`${ref.bucket}/${ref.key}`, body);
  }
}

const chunk = (start: number, end: number, faceFoundRatio = 1) => {
  const frames = Math.round((end - start) * 25);
  return {
    start,
    end,
    startFrame: start * 25,
    frames,
    video: new Float32Array(frames * 88 * 88),
    audio: new Float32Array(frames * 104),
    faceFoundRatio,
  };
};

/** What preprocessVideoStream yields for a 3 s video with a face throughout. */
async function* preprocessed(chunks = [chunk(0, 2), chunk(2, 3)]): AsyncGenerator<PreprocessStreamItemLike> {
  for (const item of chunks) yield { type: 'chunk', chunk: item };
  const mouthOpening = Array.from({ length: 75 }, (_, i) => (i % 10) / 10);
  yield { type: 'done', summary: { fps: 25, totalFrames: 75, faceFoundFrames: 75, mouthOpening } };
}

function makeModel(mode: 'vsr' | 'avsr' = 'vsr') {
  const calls: Array<{ frames: number; hasAudio: boolean }> = [];
  const model: ModelLike = {
    name: 'test-model',
    mode,
    transcribe: async (input) => {
      calls.push({ frames: input.frames, hasAudio: input.audio !== undefined });
      return { text: `bin blue at f ${calls.length}`, confidence: 0.5 };
    },
  };
  return { model, calls };
}

const context = (request: JobContext['request'], signal = new AbortController().signal): JobContext => ({
  id: '00000000-0000-4000-8000-000000000001',
  request,
  signal,
  log: silentLogger,
});

const VIDEO = { bucket: 'processed', key: 'jobs/abc/video.mp4' };

describe('lip-reading job pipeline', () => {
  let tmpDir: string;
  let store: MemoryStore;

  beforeEach(async () => {
    tmpDir = await mkdtemp(path.join(os.tmpdir(), 'gorggle-pipeline-test-'));
    store = new MemoryStore();
    store.objects.set(`${VIDEO.bucket}/${VIDEO.key}`, 'not really a video');
  });

  it('writes lipreading.json beside the video with one segment per chunk and the mouth opening', async () => {
    // Prepare
    const { model, calls } = makeModel();
    const seen: Array<Parameters<PreprocessStreamFn>> = [];
    const preprocess: PreprocessStreamFn = (...args) => {
      seen.push(args);
      return preprocessed();
    };
    const run = createLipReadingRunner({ store, model, preprocess, tmpDir });

    // Act
    const outcome = await run(context({ video: VIDEO, mode: 'vsr', segments: [{ start: 0, end: 3 }] }));
    const document = lipReadingDocumentSchema.parse(
      JSON.parse(store.objects.get('processed/jobs/abc/lipreading.json')!),
    );

    // Assess
    expect(outcome.result).toEqual({ bucket: 'processed', key: 'jobs/abc/lipreading.json' });
    expect(outcome.stats.frames).toBe(75);
    expect(outcome.stats.inferenceMsPerChunk).toHaveLength(2);
    expect(seen[0]![1]).toMatchObject({ fps: 25, speechSegments: [{ start: 0, end: 3 }], withAudio: false });
    expect(calls).toEqual([
      { frames: 50, hasAudio: false },
      { frames: 25, hasAudio: false },
    ]);
    expect(document.model).toEqual({ name: 'test-model', mode: 'vsr' });
    expect(document.segments.map((s) => [s.start, s.end, s.text])).toEqual([
      [0, 2, 'bin blue at f 1'],
      [2, 3, 'bin blue at f 2'],
    ]);
    expect(document.mouthOpening?.values).toHaveLength(75);
    expect(await readdir(tmpDir)).toEqual([]);
  });

  it('passes audio to an avsr model and reads lips only when the model cannot hear', async () => {
    // Prepare
    const avsr = makeModel('avsr');
    const vsr = makeModel('vsr');
    const preprocess: PreprocessStreamFn = () => preprocessed([chunk(0, 1)]);

    // Act
    await createLipReadingRunner({ store, model: avsr.model, preprocess, tmpDir })(
      context({ video: VIDEO, mode: 'avsr' }),
    );
    const avsrDoc = JSON.parse(store.objects.get('processed/jobs/abc/lipreading.json')!);
    await createLipReadingRunner({ store, model: vsr.model, preprocess, tmpDir })(
      context({ video: VIDEO, mode: 'avsr' }),
    );
    const vsrDoc = JSON.parse(store.objects.get('processed/jobs/abc/lipreading.json')!);

    // Assess
    expect(avsr.calls).toEqual([{ frames: 25, hasAudio: true }]);
    expect(avsrDoc.model.mode).toBe('avsr');
    expect(vsr.calls).toEqual([{ frames: 25, hasAudio: false }]);
    expect(vsrDoc.model.mode).toBe('vsr');
  });

  it('succeeds with an empty document and reason no_face when preprocessing finds no face', async () => {
    // Prepare
    const { model, calls } = makeModel();
    // As preprocessVideoStream does: chunks without a face first, then no_face at the end.
    const preprocess: PreprocessStreamFn = async function* () {
      yield { type: 'chunk', chunk: chunk(0, 2, 0) };
      throw new PreprocessError('no_face', 'No face was found in any frame.');
    };

    // Act
    const outcome = await createLipReadingRunner({ store, model, preprocess, tmpDir })(
      context({ video: VIDEO, mode: 'vsr' }),
    );
    const document = lipReadingDocumentSchema.parse(
      JSON.parse(store.objects.get('processed/jobs/abc/lipreading.json')!),
    );

    // Assess
    expect(outcome.emptyReason).toBe('no_face');
    expect(document).toMatchObject({ reason: 'no_face', segments: [] });
    expect(calls).toHaveLength(0);
  });

  it.each(['corrupt_video', 'no_frames'] as const)(
    'fails with reason %s and keeps the preprocess message',
    async (reason) => {
      // Prepare
      const { model } = makeModel();
      const preprocess: PreprocessStreamFn = async function* () {
        yield* [];
        throw new PreprocessError(reason, `The video is unusable (${reason}). Upload another file.`);
      };
      const run = createLipReadingRunner({ store, model, preprocess, tmpDir });

      // Act
      const failure = await run(context({ video: VIDEO, mode: 'vsr' })).catch((error: unknown) => error);

      // Assess
      expect(failure).toBeInstanceOf(JobFailure);
      expect(failure).toMatchObject({ reason, message: expect.stringContaining('Upload another file') });
      expect(store.objects.has('processed/jobs/abc/lipreading.json')).toBe(false);
      expect(await readdir(tmpDir)).toEqual([]);
    },
  );

  it('fails with reason source_missing when the video is not in S3', async () => {
    const { model } = makeModel();
    const run = createLipReadingRunner({ store, model, preprocess: () => preprocessed(), tmpDir });
    const failure = await run(
      context({ video: { bucket: 'processed', key: 'jobs/gone/video.mp4' }, mode: 'vsr' }),
    ).catch((error: unknown) => error);
    expect(failure).toMatchObject({
      reason: 'source_missing',
      message: expect.stringMatching(/jobs\/gone\/video\.mp4/),
    });
  });

  it('stops preprocessing and reading between chunks once the job is aborted, and cleans up', async () => {
    // Prepare
    const controller = new AbortController();
    const stream = preprocessed([chunk(0, 1), chunk(1, 2), chunk(2, 3)]);
    const { model, calls } = makeModel();
    const stopping: ModelLike = {
      ...model,
      name: model.name,
      mode: model.mode,
      transcribe: async (input) => {
        const hypothesis = await model.transcribe(input);
        controller.abort(new JobFailure('timeout', 'too slow'));
        return hypothesis;
      },
    };
    const run = createLipReadingRunner({
      store,
      model: stopping,
      preprocess: () => stream,
      tmpDir,
    });

    // Act
    const failure = await run(context({ video: VIDEO, mode: 'vsr' }, controller.signal)).catch(
      (error: unknown) => error,
    );

    // Assess
    expect(failure).toMatchObject({ reason: 'timeout' });
    expect(calls).toHaveLength(1);
    // The for-await loop returned the generator, which is how preprocessing kills its ffmpeg.
    expect(await stream.next()).toEqual({ done: true, value: undefined });
    expect(existsSync(store.downloadedTo[0]!)).toBe(false);
  });

  it("answers an empty segment list with reason 'no speech' without preprocessing or reading", async () => {
    // Prepare
    const { model, calls } = makeModel();
    let preprocessed = 0;
    const preprocess: PreprocessStreamFn = () => {
      preprocessed++;
      return (async function* () {})();
    };

    // Act
    const outcome = await createLipReadingRunner({ store, model, preprocess, tmpDir })(
      context({ video: VIDEO, mode: 'vsr', segments: [] }),
    );
    const document = lipReadingDocumentSchema.parse(
      JSON.parse(store.objects.get('processed/jobs/abc/lipreading.json')!),
    );

    // Assess
    expect(outcome.emptyReason).toBe(NO_SPEECH);
    expect(document).toMatchObject({ reason: NO_SPEECH, segments: [] });
    expect(preprocessed).toBe(0);
    expect(calls).toEqual([]);
  });

  it("says 'no speech' when its own detector heard none, and sets the time budget from the video's length", async () => {
    // Prepare
    const { model, calls } = makeModel();
    const limits: number[] = [];
    async function* silent(): AsyncGenerator<PreprocessStreamItemLike> {
      yield { type: 'start', durationSec: 42 };
      const mouthOpening = Array.from({ length: 1050 }, () => 0.1);
      yield {
        type: 'done',
        summary: {
          fps: 25,
          totalFrames: 1050,
          faceFoundFrames: 1050,
          mouthOpening,
          speech: { source: 'energy', segments: [] },
        },
      };
    }
    const run = createLipReadingRunner({
      store,
      model,
      preprocess: silent,
      tmpDir,
      timeBudget: { baseMs: 60_000, perVideoSecondMs: 2_000 },
    });

    // Act
    const outcome = await run({ ...context({ video: VIDEO, mode: 'vsr' }), setTimeLimit: (ms) => limits.push(ms) });

    // Assess
    expect(outcome.emptyReason).toBe(NO_SPEECH);
    expect(limits).toEqual([60_000 + 42 * 2_000]);
    expect(calls).toEqual([]);
  });

  it('skips chunks without a face', async () => {
    const { model, calls } = makeModel();
    const run = createLipReadingRunner({
      store,
      model,
      preprocess: () => preprocessed([chunk(0, 1, 0), chunk(1, 2, 0.8)]),
      tmpDir,
    });
    await run(context({ video: VIDEO, mode: 'vsr' }));
    const document = JSON.parse(store.objects.get('processed/jobs/abc/lipreading.json')!);
    expect(calls).toHaveLength(1);
    expect(document.segments.map((s: { start: number }) => s.start)).toEqual([1]);
  });
});

describe('resultKeyFor', () => {
  it('puts the result in the video key folder, or a job folder of its own at the bucket root', () => {
    expect(resultKeyFor('jobs/abc/video.mp4', 'id-1')).toBe('jobs/abc/lipreading.json');
    expect(resultKeyFor('video.mp4', 'id-1')).toBe('jobs/id-1/lipreading.json');
  });
});

describe('buildLipReadingDocument', () => {
  it('spreads words evenly over each segment, clamps confidence and drops empty text', () => {
    // Act
    const document = buildLipReadingDocument({
      model: { name: 'm', mode: 'vsr' },
      chunks: [
        { start: 1, end: 3, text: ' set  white by z ', confidence: 1.7 },
        { start: 3, end: 4, text: '   ', confidence: 0.9 },
        { start: 4, end: 5, text: 'now', confidence: Number.NaN },
      ],
      mouthOpening: { fps: 25, values: [0.1, Number.NaN, 0.123456] },
    });

    // Assess
    expect(document.segments).toEqual([
      {
        start: 1,
        end: 3,
        text: 'set white by z',
        confidence: 1,
        words: [
          { start: 1, end: 1.5, text: 'set', confidence: 1 },
          { start: 1.5, end: 2, text: 'white', confidence: 1 },
          { start: 2, end: 2.5, text: 'by', confidence: 1 },
          { start: 2.5, end: 3, text: 'z', confidence: 1 },
        ],
      },
      { start: 4, end: 5, text: 'now', confidence: 0, words: [{ start: 4, end: 5, text: 'now', confidence: 0 }] },
    ]);
    expect(document.mouthOpening).toEqual({ fps: 25, values: [0.1, 0, 0.1235] });
    expect(lipReadingDocumentSchema.safeParse(document).success).toBe(true);
  });
});
