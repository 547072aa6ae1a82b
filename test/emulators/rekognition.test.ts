import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import {
  GetFaceDetectionCommand,
  IdempotentParameterMismatchException,
  InvalidPaginationTokenException,
  InvalidS3ObjectException,
  RekognitionClient,
  ResourceNotFoundException,
  StartFaceDetectionCommand,
  type FaceDetection,
  type GetFaceDetectionCommandOutput,
} from '@aws-sdk/client-rekognition';
import { startRekognitionEmulator } from '../../scripts/local-stack/emulators';
import { gridClip, gridAvailable } from '../support/paths';
import { FAKE_CREDENTIALS, ffmpeg, pollUntil, REGION, startLocalS3 } from './support/local-aws';

const describeWithGrid = gridAvailable() ? describe : describe.skip;
const BUCKET = 'processed';
const SAMPLE_INTERVAL_MS = 200;

describeWithGrid('Rekognition emulator, driven by @aws-sdk/client-rekognition', () => {
  let s3: Awaited<ReturnType<typeof startLocalS3>>;
  let emulator: Awaited<ReturnType<typeof startRekognitionEmulator>>;
  let rekognition: RekognitionClient;
  let workDir: string;
  const previousEndpoint = process.env.AWS_ENDPOINT_URL_REKOGNITION;

  const upload = async (key: string, filePath: string) =>
    s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: await readFile(filePath) }));
  const start = (key: string, token?: string, attributes: 'DEFAULT' | 'ALL' = 'ALL') =>
    rekognition.send(
      new StartFaceDetectionCommand({
        Video: { S3Object: { Bucket: BUCKET, Name: key } },
        FaceAttributes: attributes,
        ...(token ? { ClientRequestToken: token } : {}),
      }),
    );
  const get = (jobId: string, extra: { MaxResults?: number; NextToken?: string } = {}) =>
    rekognition.send(new GetFaceDetectionCommand({ JobId: jobId, ...extra }));
  const finished = (jobId: string) =>
    pollUntil(
      () => get(jobId),
      (page) => page.JobStatus !== 'IN_PROGRESS',
      { timeoutMs: 90_000 },
    );

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(os.tmpdir(), 'gorggle-rekognition-test-'));
    s3 = await startLocalS3([BUCKET]);
    emulator = await startRekognitionEmulator({
      port: 0,
      dataDir: path.join(workDir, 'data'),
      s3: { endpoint: s3.endpoint },
      sampleIntervalMs: SAMPLE_INTERVAL_MS,
    });
    // The way the Lambda bundles reach it: the SDK's own endpoint variable.
    process.env.AWS_ENDPOINT_URL_REKOGNITION = emulator.url;
    rekognition = new RekognitionClient({ region: REGION, credentials: FAKE_CREDENTIALS });
  });

  afterAll(async () => {
    if (previousEndpoint === undefined) delete process.env.AWS_ENDPOINT_URL_REKOGNITION;
    else process.env.AWS_ENDPOINT_URL_REKOGNITION = previousEndpoint;
    rekognition?.destroy();
    await emulator?.close();
    await s3?.stop();
    await rm(workDir, { recursive: true, force: true });
  });

  describe('on a GRID clip', () => {
    let jobId: string;
    let firstPoll: GetFaceDetectionCommandOutput;
    let result: GetFaceDetectionCommandOutput;

    beforeAll(async () => {
      const video = path.join(workDir, 'bbaf2n.mp4');
      ffmpeg(['-i', gridClip('bbaf2n.mpg'), '-r', '25', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-an', video]);
      await upload('jobs/grid/video.mp4', video);
      jobId = (await start('jobs/grid/video.mp4', 'grid-token')).JobId!;
      firstPoll = await get(jobId);
      result = (await finished(jobId)).last;
    }, 120_000);

    it('runs in the background and succeeds with the video metadata', () => {
      // Assess
      expect(jobId).toMatch(/^[0-9a-f]{64}$/);
      expect(firstPoll.JobStatus).toBe('IN_PROGRESS');
      expect(firstPoll.Faces ?? []).toEqual([]);
      expect(result.JobStatus).toBe('SUCCEEDED');
      expect(result.VideoMetadata).toMatchObject({
        Codec: 'h264',
        Format: 'QuickTime / MOV',
        FrameRate: 25,
        FrameWidth: 360,
        FrameHeight: 288,
      });
      expect(result.VideoMetadata!.DurationMillis).toBeGreaterThanOrEqual(2900);
      expect(result.VideoMetadata!.DurationMillis).toBeLessThanOrEqual(3100);
    });

    it('finds a face in at least 90% of the sampled timestamps', () => {
      // Prepare
      const sampled = Math.floor(result.VideoMetadata!.DurationMillis! / SAMPLE_INTERVAL_MS);

      // Act
      const timestamps = new Set(result.Faces!.map((face) => face.Timestamp));

      // Assess
      expect(timestamps.size).toBeGreaterThanOrEqual(Math.ceil(0.9 * sampled));
      for (const timestamp of timestamps) expect(timestamp! % SAMPLE_INTERVAL_MS).toBe(0);
    });

    it('reports boxes, confidence and landmarks in Rekognition units, mouth inside the box', () => {
      for (const { Face: face } of result.Faces!) {
        const box = face!.BoundingBox!;
        expect(face!.Confidence).toBeGreaterThan(50);
        expect(face!.Confidence).toBeLessThanOrEqual(100);
        expect(box.Width).toBeGreaterThan(0.1);
        expect(box.Width).toBeLessThan(1);
        const landmark = (type: string) => face!.Landmarks!.find((point) => point.Type === type)!;
        for (const type of ['mouthLeft', 'mouthRight', 'mouthUp', 'mouthDown']) {
          const point = landmark(type);
          expect(point.X).toBeGreaterThan(box.Left!);
          expect(point.X).toBeLessThan(box.Left! + box.Width!);
          expect(point.Y).toBeGreaterThan(box.Top!);
          expect(point.Y).toBeLessThan(box.Top! + box.Height!);
        }
        expect(landmark('eyeLeft').X).toBeLessThan(landmark('eyeRight').X!);
        expect(landmark('eyeLeft').Y).toBeLessThan(landmark('nose').Y!);
        expect(landmark('nose').Y).toBeLessThan(landmark('mouthUp').Y!);
        expect(landmark('mouthUp').Y).toBeLessThan(landmark('mouthDown').Y!);
        expect(Math.abs(face!.Pose!.Roll!)).toBeLessThan(20);
        expect(face!.Quality!.Brightness).toBeGreaterThan(0);
      }
    });

    it('pages with MaxResults, returning every face exactly once', async () => {
      // Act
      const pages: FaceDetection[][] = [];
      let nextToken: string | undefined;
      do {
        const page = await get(jobId, { MaxResults: 5, ...(nextToken ? { NextToken: nextToken } : {}) });
        pages.push(page.Faces ?? []);
        nextToken = page.NextToken;
      } while (nextToken);

      // Assess
      expect(pages.length).toBe(Math.ceil(result.Faces!.length / 5));
      expect(pages.slice(0, -1).every((page) => page.length === 5)).toBe(true);
      expect(pages.flat()).toEqual(result.Faces);
      expect(result.NextToken).toBeUndefined();
    });

    it('gives the same JobId for a retried ClientRequestToken and refuses a clashing one', async () => {
      // Act
      const retried = await start('jobs/grid/video.mp4', 'grid-token');
      const clashing = start('jobs/grid/video.mp4', 'grid-token', 'DEFAULT');

      // Assess
      expect(retried.JobId).toBe(jobId);
      await expect(clashing).rejects.toBeInstanceOf(IdempotentParameterMismatchException);
    });

    it('rejects a made-up pagination token and an unknown job', async () => {
      await expect(get(jobId, { NextToken: 'bm90LWEtdG9rZW4' })).rejects.toBeInstanceOf(
        InvalidPaginationTokenException,
      );
      await expect(get('f'.repeat(64))).rejects.toBeInstanceOf(ResourceNotFoundException);
    });
  });

  it('succeeds with no faces on a video without a face', async () => {
    // Prepare
    const video = path.join(workDir, 'testsrc.mp4');
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=320x240:rate=25:duration=2',
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      video,
    ]);
    await upload('jobs/no-face/video.mp4', video);

    // Act
    const { JobId } = await start('jobs/no-face/video.mp4');
    const { last } = await finished(JobId!);

    // Assess
    expect(last.JobStatus).toBe('SUCCEEDED');
    expect(last.Faces).toEqual([]);
    expect(last.VideoMetadata?.DurationMillis).toBe(2000);
  });

  it('fails a corrupt video with a StatusMessage', async () => {
    // Prepare
    const corrupt = path.join(workDir, 'corrupt.mp4');
    await writeFile(corrupt, randomBytes(20_000));
    await upload('jobs/corrupt/video.mp4', corrupt);

    // Act
    const { JobId } = await start('jobs/corrupt/video.mp4');
    const { last } = await finished(JobId!);

    // Assess
    expect(last.JobStatus).toBe('FAILED');
    expect(last.StatusMessage).toMatch(/could not be decoded/);
  });

  it('fails a video Rekognition cannot take (MPEG-1) with a StatusMessage', async () => {
    // Prepare
    await upload('jobs/mpeg1/video.mpg', gridClip('bbaf2n.mpg'));

    // Act
    const { JobId } = await start('jobs/mpeg1/video.mpg');
    const { last } = await finished(JobId!);

    // Assess
    expect(last.JobStatus).toBe('FAILED');
    expect(last.StatusMessage).toMatch(/Unsupported codec\/format/);
  });

  it('refuses to start on an object that does not exist', async () => {
    await expect(start('jobs/nothing/video.mp4')).rejects.toBeInstanceOf(InvalidS3ObjectException);
  });
});
