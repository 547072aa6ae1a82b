import { jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  BadRequestException,
  ConflictException,
  GetTranscriptionJobCommand,
  ListTranscriptionJobsCommand,
  StartTranscriptionJobCommand,
  TranscribeClient,
  type TranscriptionJob,
} from '@aws-sdk/client-transcribe';
import { transcribeOutputSchema } from '../../functions/lib/fuse/transcribe-output';
import { startTranscribeEmulator } from '../../scripts/local-stack/emulators';
import { recognise } from '../../scripts/local-stack/emulators/transcribe/pocketsphinx';
import type { TranscriptDocument } from '../../scripts/local-stack/emulators/transcribe/transcript-document';
import { editDistance } from '../../functions/lib/fuse/levenshtein';
import { normaliseText } from '../../functions/lib/fuse/words';
import { GRID_DIR, gridClip, gridAvailable, testOutputDir } from '../support/paths';
import { FAKE_CREDENTIALS, ffmpeg, pollUntil, REGION, startLocalS3 } from './support/local-aws';

const describeWithGrid = gridAvailable() ? describe : describe.skip;
// pocketsphinx runs one job at a time here; on a busy machine each takes tens of seconds.
jest.setTimeout(240_000);
const MEDIA_BUCKET = 'processed';

describeWithGrid('Transcribe emulator, driven by @aws-sdk/client-transcribe', () => {
  let s3: Awaited<ReturnType<typeof startLocalS3>>;
  let emulator: Awaited<ReturnType<typeof startTranscribeEmulator>>;
  let transcribe: TranscribeClient;
  let workDir: string;
  let dataDir: string;

  const upload = async (key: string, filePath: string) =>
    s3.client.send(new PutObjectCommand({ Bucket: MEDIA_BUCKET, Key: key, Body: await readFile(filePath) }));
  const getJob = async (name: string): Promise<TranscriptionJob> =>
    (await transcribe.send(new GetTranscriptionJobCommand({ TranscriptionJobName: name }))).TranscriptionJob ?? {};
  const startJob = (name: string, key: string) =>
    transcribe.send(
      new StartTranscriptionJobCommand({
        TranscriptionJobName: name,
        Media: { MediaFileUri: `s3://${MEDIA_BUCKET}/${key}` },
        MediaFormat: 'wav',
        LanguageCode: 'en-US',
        OutputBucketName: MEDIA_BUCKET,
        OutputKey: `jobs/${name}/transcribe.json`,
        Settings: { ShowSpeakerLabels: true, MaxSpeakerLabels: 4 },
      }),
    );
  const startEmulator = () =>
    startTranscribeEmulator({ port: 0, dataDir, s3: { endpoint: s3.endpoint }, concurrency: 1 });

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(os.tmpdir(), 'gorggle-transcribe-test-'));
    dataDir = path.join(workDir, 'data');
    s3 = await startLocalS3([MEDIA_BUCKET]);
    emulator = await startEmulator();
    transcribe = new TranscribeClient({ endpoint: emulator.url, region: REGION, credentials: FAKE_CREDENTIALS });
  });

  afterAll(async () => {
    transcribe?.destroy();
    await emulator?.close();
    await s3?.stop();
    await rm(workDir, { recursive: true, force: true });
  });

  it('runs a job on a GRID clip in the background and writes Amazon Transcribe output JSON', async () => {
    // Prepare
    const wav = path.join(workDir, 'bbaf2n.wav');
    ffmpeg(['-i', gridClip('bbaf2n.mpg'), '-ac', '1', '-ar', '16000', wav]);
    await upload('jobs/grid-1/audio.wav', wav);

    // Act
    const started = await startJob('grid-1', 'jobs/grid-1/audio.wav');
    const { last, seen } = await pollUntil(
      () => getJob('grid-1'),
      (job) => job.TranscriptionJobStatus === 'COMPLETED' || job.TranscriptionJobStatus === 'FAILED',
    );
    const output = await s3.client.send(
      new GetObjectCommand({ Bucket: MEDIA_BUCKET, Key: 'jobs/grid-1/transcribe.json' }),
    );
    const document = JSON.parse(await output.Body!.transformToString()) as TranscriptDocument;

    // Assess
    expect(['QUEUED', 'IN_PROGRESS']).toContain(started.TranscriptionJob?.TranscriptionJobStatus);
    expect(['QUEUED', 'IN_PROGRESS']).toContain(seen[0]?.TranscriptionJobStatus);
    expect(last.TranscriptionJobStatus).toBe('COMPLETED');
    expect(last.CreationTime).toBeInstanceOf(Date);
    expect(last.CompletionTime!.getTime()).toBeGreaterThanOrEqual(last.CreationTime!.getTime());
    expect(last.Transcript?.TranscriptFileUri).toBe(`${s3.endpoint}/${MEDIA_BUCKET}/jobs/grid-1/transcribe.json`);
    expect(last.MediaSampleRateHertz).toBe(16000);

    expect(document).toMatchObject({ jobName: 'grid-1', status: 'COMPLETED', accountId: expect.any(String) });
    const { results } = document;
    expect(results.transcripts[0]!.transcript.trim().length).toBeGreaterThan(0);
    const words = results.items.filter((item) => item.type === 'pronunciation');
    expect(words.length).toBeGreaterThan(0);
    results.items.forEach((item, index) => expect(item.id).toBe(index));
    for (const word of words) {
      expect(word).toMatchObject({
        start_time: expect.stringMatching(/^\d+\.\d+$/),
        end_time: expect.stringMatching(/^\d+\.\d+$/),
        speaker_label: 'spk_0',
      });
      expect(Number(word.end_time)).toBeGreaterThanOrEqual(Number(word.start_time));
      expect(Number(word.end_time)).toBeLessThanOrEqual(3.1);
      const confidence = word.alternatives[0].confidence;
      expect(confidence).toMatch(/^[01]\.\d+$/);
      expect(Number(confidence)).toBeLessThanOrEqual(1);
    }
    expect(results.speaker_labels?.speakers).toBe(1);
    expect(results.speaker_labels?.segments.length).toBeGreaterThan(0);
    expect(results.speaker_labels?.segments.flatMap((segment) => segment.items)).toHaveLength(words.length);
    expect(results.audio_segments.length).toBeGreaterThan(0);
    expect(results.audio_segments.flatMap((segment) => segment.items)).toEqual(results.items.map((item) => item.id));
    expect(results.audio_segments.map((segment) => segment.transcript).join(' ')).toBe(
      results.transcripts[0]!.transcript,
    );
    // The reader fuse uses takes it as Transcribe's own output.
    expect(transcribeOutputSchema.safeParse(document).success).toBe(true);
  });

  it('refuses a second job with the same name (ConflictException)', async () => {
    // Prepare
    const wav = path.join(workDir, 'tone.wav');
    ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=0.5', '-ac', '1', '-ar', '16000', wav]);
    await upload('jobs/dup/audio.wav', wav);
    await startJob('dup', 'jobs/dup/audio.wav');

    // Act
    const second = startJob('dup', 'jobs/dup/audio.wav');

    // Assess
    await expect(second).rejects.toBeInstanceOf(ConflictException);
    await pollUntil(
      () => getJob('dup'),
      (job) => job.TranscriptionJobStatus === 'COMPLETED',
    );
  });

  it('fails a job on a corrupt wav with a FailureReason', async () => {
    // Prepare
    const corrupt = path.join(workDir, 'corrupt.wav');
    await writeFile(corrupt, Buffer.concat([Buffer.from('RIFF'), randomBytes(4000)]));
    await upload('jobs/corrupt/audio.wav', corrupt);

    // Act
    await startJob('corrupt', 'jobs/corrupt/audio.wav');
    const { last } = await pollUntil(
      () => getJob('corrupt'),
      (job) => job.TranscriptionJobStatus === 'COMPLETED' || job.TranscriptionJobStatus === 'FAILED',
    );

    // Assess
    expect(last.TranscriptionJobStatus).toBe('FAILED');
    expect(last.FailureReason).toMatch(/could not be decoded/);
  });

  it('fails a job whose media object does not exist', async () => {
    // Act
    await startJob('missing', 'jobs/missing/audio.wav');
    const { last } = await pollUntil(
      () => getJob('missing'),
      (job) => job.TranscriptionJobStatus === 'FAILED' || job.TranscriptionJobStatus === 'COMPLETED',
    );

    // Assess
    expect(last.TranscriptionJobStatus).toBe('FAILED');
    expect(last.FailureReason).toMatch(/doesn't point to an S3 object/);
  });

  it('answers bad requests with BadRequestException', async () => {
    // Act
    const noLanguage = transcribe.send(
      new StartTranscriptionJobCommand({
        TranscriptionJobName: 'no-language',
        Media: { MediaFileUri: `s3://${MEDIA_BUCKET}/a.wav` },
      }),
    );
    const badName = transcribe.send(
      new StartTranscriptionJobCommand({
        TranscriptionJobName: 'spaces are not allowed',
        Media: { MediaFileUri: `s3://${MEDIA_BUCKET}/a.wav` },
        LanguageCode: 'en-US',
      }),
    );
    const unknownJob = getJob('never-started');

    // Assess
    await expect(noLanguage).rejects.toBeInstanceOf(BadRequestException);
    await expect(badName).rejects.toThrow(/TranscriptionJobName/);
    await expect(unknownJob).rejects.toBeInstanceOf(BadRequestException);
  });

  it('serves the transcript itself when no output bucket is given, and lists jobs', async () => {
    // Prepare
    const wav = path.join(workDir, 'short.wav');
    ffmpeg(['-i', gridClip('lrwp9a.mpg'), '-ac', '1', '-ar', '16000', wav]);
    await upload('short.wav', wav);
    await transcribe.send(
      new StartTranscriptionJobCommand({
        TranscriptionJobName: 'service-bucket',
        Media: { MediaFileUri: `${s3.endpoint}/${MEDIA_BUCKET}/short.wav` },
        IdentifyLanguage: true,
      }),
    );

    // Act
    const { last } = await pollUntil(
      () => getJob('service-bucket'),
      (job) => job.TranscriptionJobStatus === 'COMPLETED' || job.TranscriptionJobStatus === 'FAILED',
    );
    const response = await fetch(last.Transcript!.TranscriptFileUri!);
    const document = (await response.json()) as TranscriptDocument;
    const listed = await transcribe.send(new ListTranscriptionJobsCommand({ Status: 'COMPLETED', MaxResults: 100 }));

    // Assess
    expect(last.TranscriptionJobStatus).toBe('COMPLETED');
    expect(last.LanguageCode).toBe('en-US');
    expect(response.status).toBe(200);
    expect(document.jobName).toBe('service-bucket');
    expect(document.results.speaker_labels).toBeUndefined();
    expect(document.results.items.every((item) => item.speaker_label === undefined)).toBe(true);
    expect(listed.TranscriptionJobSummaries?.map((job) => job.TranscriptionJobName)).toEqual(
      expect.arrayContaining(['grid-1', 'service-bucket']),
    );
  });

  it('still knows finished jobs after a restart', async () => {
    // Prepare: a job of its own, finished before the restart.
    const wav = path.join(workDir, 'restart-tone.wav');
    ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=330:duration=0.5', '-ac', '1', '-ar', '16000', wav]);
    await upload('jobs/restart/audio.wav', wav);
    await startJob('restart', 'jobs/restart/audio.wav');
    await pollUntil(
      () => getJob('restart'),
      (job) => job.TranscriptionJobStatus === 'COMPLETED',
    );

    // Act
    await emulator.close();
    emulator = await startEmulator();
    transcribe.destroy();
    transcribe = new TranscribeClient({ endpoint: emulator.url, region: REGION, credentials: FAKE_CREDENTIALS });
    const job = await getJob('restart');

    // Assess
    expect(job.TranscriptionJobStatus).toBe('COMPLETED');
    expect(job.Transcript?.TranscriptFileUri).toBe(`${s3.endpoint}/${MEDIA_BUCKET}/jobs/restart/transcribe.json`);
    await expect(startJob('restart', 'jobs/restart/audio.wav')).rejects.toBeInstanceOf(ConflictException);
  });
});

describeWithGrid('pocketsphinx on every GRID clip', () => {
  const references = new Map(
    readFileSync(path.join(GRID_DIR, 'transcripts.tsv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.split('\t') as [string, string]),
  );
  const clips = readdirSync(GRID_DIR).filter((name) => name.endsWith('.mpg'));
  let workDir: string;

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(os.tmpdir(), 'gorggle-pocketsphinx-'));
  });

  afterAll(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  /**
   * Its generic English model is poor on GRID's letters and digits, but not blind: 43 of the
   * 48 reference words are wrong (WER 0.90) with Debian's pocketsphinx 0.8. Dropped or garbled
   * words (a wrong sample rate, a parser that loses words) push it to 1 and beyond.
   */
  it('recognises the GRID clips with a corpus word error rate under 0.95', async () => {
    // Prepare
    expect(clips.length).toBeGreaterThanOrEqual(8);
    const report: string[] = [];
    let errors = 0;
    let referenceWords = 0;

    for (const clip of clips) {
      const wav = path.join(workDir, `${clip}.wav`);
      ffmpeg(['-i', path.join(GRID_DIR, clip), '-ac', '1', '-ar', '16000', wav]);

      // Act
      const utterances = await recognise(wav);

      // Assess
      const hypothesis = utterances.flatMap((utterance) => utterance.words.map((word) => word.word)).join(' ');
      const reference = references.get(clip) ?? '';
      const referenceTokens = normaliseText(reference);
      const clipErrors = editDistance(referenceTokens, normaliseText(hypothesis));
      report.push(`${clip}\t${reference}\t${hypothesis}\t${(clipErrors / referenceTokens.length).toFixed(2)}`);
      expect({ clip, hypothesis: hypothesis.length > 0 }).toEqual({ clip, hypothesis: true });
      errors += clipErrors;
      referenceWords += referenceTokens.length;
    }
    await writeFile(path.join(testOutputDir('emulators'), 'pocketsphinx-grid.tsv'), report.join('\n') + '\n');

    expect(referenceWords).toBeGreaterThanOrEqual(48);
    expect(errors / referenceWords).toBeLessThan(0.95);
  }, 600_000);
});
