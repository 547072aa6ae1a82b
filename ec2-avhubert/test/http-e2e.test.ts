import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { lipReadingDocumentSchema } from '../../functions/lib/contracts/documents';
import { gridClip } from '../../test/support/paths';
import type { ServerConfig } from '../src/config';
import { loadModelPackage, type LipReadingModel } from '../src/model';
import { createObjectStore } from '../src/pipeline/s3';
import { preprocessVideoStream } from '../src/preprocess';
import type { LipReadingServer } from '../src/server/app';
import type { JobView } from '../src/server/job-queue';
import { silentLogger } from '../src/server/logger';
import { startService } from '../src/server/service';
import { BRIGHT_TEXT } from './model-packages';
import { authedFetch, TEST_SECRET, waitFor } from './support/server-async';
import { startLocalS3 } from './support/server-local-s3';
import { audioOnlyMp4, corruptVideo, noFaceVideo, toMp4 } from './support/server-media';

/**
 * The whole server, for real: s3rver in this process, the real preprocessing (ffmpeg,
 * face-api landmarks, ROI crops) and the real test model from `make models`.
 */

const BUCKET = 'gorggle-processed';
const TEST_MODEL_DIR = path.resolve(import.meta.dirname, '..', 'models', 'test-model');

describe('lip-reading server end to end', () => {
  let s3: Awaited<ReturnType<typeof startLocalS3>>;
  let client: S3Client;
  let model: LipReadingModel;
  let server: LipReadingServer;
  let mediaDir: string;
  let gridMp4: string;

  const upload = async (key: string, file: string) => {
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: await readFile(file) }));
    return { bucket: BUCKET, key };
  };

  const runJob = async (body: unknown): Promise<JobView> => {
    const response = await authedFetch(`${server.url}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    let job: JobView | undefined;
    await waitFor(
      async () => {
        job = (await (await authedFetch(`${server.url}/v1/jobs/${id}`)).json()) as JobView;
        return job.status === 'succeeded' || job.status === 'failed';
      },
      90_000,
      `job ${id} to end`,
    );
    return job!;
  };

  const readDocument = async (key: string) => {
    const object = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    return lipReadingDocumentSchema.parse(JSON.parse(await object.Body!.transformToString()));
  };

  beforeAll(async () => {
    if (!existsSync(path.join(TEST_MODEL_DIR, 'manifest.json'))) {
      throw new Error(`No test model at ${TEST_MODEL_DIR}: run \`make models\` first.`);
    }
    mediaDir = await mkdtemp(path.join(os.tmpdir(), 'gorggle-e2e-media-'));
    gridMp4 = await toMp4(gridClip('bbaf2n.mpg'), path.join(mediaDir, 'grid.mp4'));
    s3 = await startLocalS3([BUCKET]);
    client = new S3Client({
      endpoint: s3.endpoint,
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    model = await loadModelPackage(TEST_MODEL_DIR, { device: 'cpu' });
    const config: ServerConfig = {
      port: 0,
      host: '127.0.0.1',
      modelDir: TEST_MODEL_DIR,
      device: 'cpu',
      queueCapacity: 8,
      concurrency: 1,
      jobTimeoutMs: 120_000,
      jobTimeoutMsPerVideoSecond: 0,
      decodeMemoryBytes: 2 ** 30,
      decodeBatchChunks: 8,
      dtype: 'float32',
      landmarks: 'dlib',
      shutdownGraceMs: 5_000,
      idleShutdownMs: 0,
      powerOffCommand: 'false',
      tmpDir: mediaDir,
      logLevel: 'error',
      processedBucket: BUCKET,
      secret: { value: TEST_SECRET },
      allowedHosts: [],
    };
    server = await startService(config, {
      model,
      preprocess: preprocessVideoStream,
      store: createObjectStore(s3.endpoint),
      log: silentLogger,
    });
  }, 120_000);

  afterAll(async () => {
    await server?.shutdown();
    model?.dispose();
    await s3?.stop();
    if (mediaDir) await rm(mediaDir, { recursive: true, force: true });
  });

  it('lip-reads a GRID clip and writes a lipreading.json that meets the contract', async () => {
    // Prepare
    const video = await upload('jobs/e2e-grid/video.mp4', gridMp4);

    // Act
    const job = await runJob({ video, mode: 'vsr', segments: [{ start: 0, end: 3 }] });
    const document = await readDocument(job.result!.key);

    // Assess
    expect(job).toMatchObject({
      status: 'succeeded',
      result: { bucket: BUCKET, key: 'jobs/e2e-grid/lipreading.json' },
    });
    expect(job.timings.preprocessMs).toBeGreaterThan(0);
    expect(document.model).toEqual({ name: model.name, mode: 'vsr' });
    expect(document.reason).toBeUndefined();
    // 3 s at 25 fps, give or take the last frame's rounding
    expect(document.mouthOpening!.fps).toBe(25);
    expect(Math.abs(document.mouthOpening!.values.length - 75)).toBeLessThanOrEqual(1);
    expect(document.mouthOpening!.values.some((value) => value > 0)).toBe(true);
    // The test model was trained to read this clip's sentence (models/make_test_model.py).
    expect(document.segments.length).toBeGreaterThan(0);
    expect(document.segments.map((segment) => segment.text).join(' ')).toBe(BRIGHT_TEXT);
    for (const segment of document.segments) {
      expect(segment.end).toBeLessThanOrEqual(3.05);
      expect(segment.words.map((word) => word.text).join(' ')).toBe(segment.text);
    }
    const health = await (await authedFetch(`${server.url}/health`)).json();
    expect(health).toMatchObject({ status: 'ok', queue: { depth: 0, running: 0 } });
  });

  it('reads lips and audio in avsr mode with an avsr model', async () => {
    // Prepare
    const video = await upload('jobs/e2e-avsr/video.mp4', gridMp4);

    // Act
    const job = await runJob({ video, mode: 'avsr' });
    const document = await readDocument(job.result!.key);

    // Assess
    expect(job.status).toBe('succeeded');
    expect(document.model).toEqual({ name: model.name, mode: model.mode === 'avsr' ? 'avsr' : 'vsr' });
    expect(document.segments.length).toBeGreaterThan(0);
  });

  it('succeeds with an empty result and reason no_face for a video without a face', async () => {
    const video = await upload('jobs/e2e-noface/video.mp4', await noFaceVideo(path.join(mediaDir, 'noface.mp4')));
    const job = await runJob({ video, mode: 'vsr' });
    const document = await readDocument(job.result!.key);
    expect(job.status).toBe('succeeded');
    expect(job.reason).toBe('no_face');
    expect(document).toMatchObject({ reason: 'no_face', segments: [] });
  });

  it.each([
    ['a corrupt video', 'corrupt_video', (dir: string) => corruptVideo(path.join(dir, 'corrupt.mp4'))],
    ['an audio-only file', 'no_frames', (dir: string) => audioOnlyMp4(path.join(dir, 'audio-only.mp4'))],
  ])('fails %s with reason %s and keeps serving', async (_what, reason, make) => {
    // Prepare
    const video = await upload(`jobs/e2e-${reason}/video.mp4`, await make(mediaDir));

    // Act
    const job = await runJob({ video, mode: 'vsr' });
    const health = await authedFetch(`${server.url}/health`);

    // Assess
    expect(job.status).toBe('failed');
    expect(job.error!.reason).toBe(reason);
    expect(job.error!.message.length).toBeGreaterThan(20);
    expect(health.status).toBe(200);
  });

  it('fails with reason source_missing when the video is not in S3, and keeps serving', async () => {
    const job = await runJob({ video: { bucket: BUCKET, key: 'jobs/nobody/video.mp4' }, mode: 'vsr' });
    expect(job.status).toBe('failed');
    expect(job.error).toEqual({ reason: 'source_missing', message: expect.stringContaining('jobs/nobody/video.mp4') });
    expect((await authedFetch(`${server.url}/health`)).status).toBe(200);
  });

  it('counts the finished jobs in /metrics', async () => {
    const text = await (await authedFetch(`${server.url}/metrics`)).text();
    expect(text).toMatch(/^gorggle_avhubert_jobs_total\{status="succeeded",reason=""\} [1-9]/m);
    expect(text).toMatch(/^gorggle_avhubert_frames_total [1-9]/m);
    expect(text).toMatch(/^gorggle_avhubert_inference_seconds_count [1-9]/m);
  });
});
