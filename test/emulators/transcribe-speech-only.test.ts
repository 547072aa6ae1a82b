import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetTranscriptionJobCommand, StartTranscriptionJobCommand, TranscribeClient } from '@aws-sdk/client-transcribe';
import { SileroVoiceActivityDetector } from '../../functions/lib/adapters/silero-vad';
import { readPcm16MonoWav } from '../../functions/lib/media/wav';
import { startTranscribeEmulator } from '../../scripts/local-stack/emulators';
import { recognise } from '../../scripts/local-stack/emulators/transcribe/pocketsphinx';
import { keepOnlySpeech, SPEECH_MARGIN_SEC } from '../../scripts/local-stack/emulators/transcribe/speech-only';
import type { TranscriptDocument } from '../../scripts/local-stack/emulators/transcribe/transcript-document';
import { sileroModelPath } from '../support/models';
import { gridClip, gridAvailable } from '../support/paths';
import { FAKE_CREDENTIALS, ffmpeg, pollUntil, REGION, startLocalS3 } from './support/local-aws';

const BUCKET = 'processed';
let workDir: string;

beforeAll(async () => (workDir = await mkdtemp(path.join(os.tmpdir(), 'gorggle-speech-only-'))));
afterAll(() => rm(workDir, { recursive: true, force: true }));

/** Pink noise loud enough that pocketsphinx alone hears a word in it; seeded, as some noise it hears as nothing. */
const NOISE = ['-f', 'lavfi', '-i', 'anoisesrc=r=16000:color=pink:amplitude=0.2:seed=1', '-t', '4'];

(gridAvailable() ? it : it.skip)(
  'silences all but the speech, with a margin, and keeps the speech as it was',
  async () => {
    // Prepare: 1 s of noise, a GRID sentence (3 s), 1 s of noise
    const wav = path.join(workDir, 'sentence-in-noise.wav');
    ffmpeg([
      ...['-i', gridClip('swwp2s.mpg'), '-f', 'lavfi', '-i', 'anoisesrc=r=16000:color=pink:amplitude=0.002:d=1'],
      ...['-filter_complex', '[1:a][0:a][1:a]concat=n=3:v=0:a=1[a]', '-map', '[a]', '-ac', '1', '-ar', '16000', wav],
    ]);
    const before = await readPcm16MonoWav(wav);
    const detector = await SileroVoiceActivityDetector.load(await sileroModelPath());

    // Act
    const segments = await keepOnlySpeech(wav, detector);

    // Assess
    const after = await readPcm16MonoWav(wav);
    expect(segments.length).toBeGreaterThan(0);
    expect(after.samples.length).toBe(before.samples.length);
    const kept = (sample: number) =>
      segments.some(
        ({ start, end }) => sample >= (start - SPEECH_MARGIN_SEC) * 16000 && sample < (end + SPEECH_MARGIN_SEC) * 16000,
      );
    const second = (at: number) => Math.round(at * 16000);
    for (const at of [0.2, 0.8, 4.3, 4.9]) expect(after.samples[second(at)]).toBe(0);
    for (let sample = 0; sample < after.samples.length; sample += 97) {
      expect(after.samples[sample]).toBe(kept(sample) ? before.samples[sample] : 0);
    }
  },
);

it('transcribes nothing from noise, where pocketsphinx on its own hears a word', async () => {
  // Prepare
  const wav = path.join(workDir, 'noise.wav');
  ffmpeg([...NOISE, '-ac', '1', '-ar', '16000', wav]);
  const heardAlone = (await recognise(wav)).flatMap((utterance) => utterance.words);
  const s3 = await startLocalS3([BUCKET]);
  const emulator = await startTranscribeEmulator({
    port: 0,
    dataDir: path.join(workDir, 'data'),
    s3: { endpoint: s3.endpoint },
  });
  const transcribe = new TranscribeClient({ endpoint: emulator.url, region: REGION, credentials: FAKE_CREDENTIALS });
  try {
    await s3.client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'jobs/noise/audio.wav', Body: await readFile(wav) }),
    );

    // Act
    await transcribe.send(
      new StartTranscriptionJobCommand({
        TranscriptionJobName: 'noise',
        Media: { MediaFileUri: `s3://${BUCKET}/jobs/noise/audio.wav` },
        LanguageCode: 'en-US',
        OutputBucketName: BUCKET,
        OutputKey: 'jobs/noise/transcribe.json',
      }),
    );
    const { last } = await pollUntil(
      async () =>
        (await transcribe.send(new GetTranscriptionJobCommand({ TranscriptionJobName: 'noise' }))).TranscriptionJob ??
        {},
      (job) => job.TranscriptionJobStatus === 'COMPLETED' || job.TranscriptionJobStatus === 'FAILED',
    );

    // Assess
    expect(heardAlone.length).toBeGreaterThan(0);
    expect(last.TranscriptionJobStatus).toBe('COMPLETED');
    const output = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'jobs/noise/transcribe.json' }));
    const document = JSON.parse(await output.Body!.transformToString()) as TranscriptDocument;
    expect(document.results.items).toEqual([]);
    expect(document.results.transcripts[0]?.transcript ?? '').toBe('');
  } finally {
    transcribe.destroy();
    await emulator.close();
    await s3.stop();
  }
});
