import { execFileSync } from 'node:child_process';
import { createReadStream, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client, type PutObjectCommandInput } from '@aws-sdk/client-s3';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { speechDocumentSchema } from '../../../functions/lib/contracts/documents';
import { mediaFactsSchema, type PipelineInput } from '../../../functions/lib/contracts/pipeline';
import { sileroModelPath } from '../../support/models';
import { FFMPEG_DIR_FOR_TESTS, FFPROBE_DIR_FOR_TESTS, gridClip, REPO_ROOT } from '../../support/paths';

const FFPROBE = path.join(FFPROBE_DIR_FOR_TESTS, 'ffprobe');

process.env.JOBS_TABLE = 'gorggle-jobs';
process.env.PROCESSED_BUCKET = 'gorggle-processed';
process.env.FFMPEG_PATH = path.join(FFMPEG_DIR_FOR_TESTS, 'ffmpeg');
process.env.FFPROBE_PATH = FFPROBE;
process.env.VAD_MODEL_PATH = await sileroModelPath();
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';

// Imported after the environment is set: the logger reads it when the module loads.
const { handler } = await import('../../../functions/extract/handler');

const s3 = mockClient(S3Client);
const dynamodb = mockClient(DynamoDBClient);

const context = {
  functionName: 'gorggle-extract',
  awsRequestId: '7f1d2c4e-0000-4000-8000-000000000001',
  getRemainingTimeInMillis: () => 120_000,
} as unknown as Context;

const sampleInput = (): PipelineInput =>
  JSON.parse(readFileSync(path.join(REPO_ROOT, 'events', 'extract', 'grid-clip.json'), 'utf8')) as PipelineInput;

let scratch: string;
let lambdaTmp: string;
const savedTmpDir = process.env.TMPDIR;
let uploaded: Map<string, { body: Buffer; contentType?: string }>;

beforeEach(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'extract-handler-test-'));
  lambdaTmp = path.join(scratch, 'tmp');
  execFileSync('mkdir', ['-p', lambdaTmp]);
  // os.tmpdir() reads TMPDIR on every call: this is the handler's /tmp.
  process.env.TMPDIR = lambdaTmp;
  uploaded = new Map();
  s3.reset();
  dynamodb.reset();
  dynamodb.on(UpdateItemCommand).resolves({});
  s3.on(PutObjectCommand).callsFake(async (input: PutObjectCommandInput) => {
    const body = input.Body as string | Readable;
    const chunks: Buffer[] = [];
    if (typeof body === 'string') chunks.push(Buffer.from(body));
    else for await (const chunk of body) chunks.push(Buffer.from(chunk as Uint8Array));
    uploaded.set(input.Key!, { body: Buffer.concat(chunks), contentType: input.ContentType });
    return {};
  });
});

afterEach(() => {
  process.env.TMPDIR = savedTmpDir;
  rmSync(scratch, { recursive: true, force: true });
});

function stageRecords() {
  return dynamodb.commandCalls(UpdateItemCommand).map((call) => {
    const { ExpressionAttributeNames, ExpressionAttributeValues, Key } = call.args[0].input;
    return {
      jobId: unmarshall(Key!).jobId,
      stage: ExpressionAttributeNames!['#stage'],
      record: unmarshall(ExpressionAttributeValues!)[':record'],
    };
  });
}

function probeUploaded(key: string) {
  const file = path.join(scratch, path.basename(key));
  writeFileSync(file, uploaded.get(key)!.body);
  return JSON.parse(execFileSync(FFPROBE, ['-v', 'error', '-show_streams', '-of', 'json', file]).toString()) as {
    streams: Array<Record<string, string | number>>;
  };
}

describe('extract handler', () => {
  it('converts a GRID clip from S3 and records the stage on the job row', async () => {
    // Prepare
    const input = sampleInput();
    s3.on(GetObjectCommand, { Bucket: input.source.bucket, Key: input.source.key }).callsFake(() => ({
      Body: createReadStream(gridClip('bbaf2n.mpg')),
    }));

    // Act
    const output = await handler(input, context);

    // Assess
    const facts = mediaFactsSchema.parse(output);
    expect(facts).toMatchObject({ hasAudio: true, hasVideo: true, width: 360, height: 288, fps: 25 });
    expect(facts.durationSec).toBeCloseTo(3, 0);
    const prefix = `jobs/${input.jobId}/`;
    expect(facts.video).toEqual({ bucket: 'gorggle-processed', key: `${prefix}video.mp4` });
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, { Bucket: 'gorggle-processed', Key: `${prefix}audio.wav` });
    expect(
      Object.fromEntries([...uploaded].map(([key, value]) => [key.replace(prefix, ''), value.contentType])),
    ).toEqual({
      'probe.json': 'application/json',
      'audio.wav': 'audio/wav',
      'speech.json': 'application/json',
      'video.mp4': 'video/mp4',
      'poster.jpg': 'image/jpeg',
    });
    expect(probeUploaded(`${prefix}audio.wav`).streams[0]).toMatchObject({
      codec_name: 'pcm_s16le',
      sample_rate: '16000',
      channels: 1,
    });
    const speech = speechDocumentSchema.parse(JSON.parse(uploaded.get(`${prefix}speech.json`)!.body.toString()));
    expect(speech.segments.length).toBeGreaterThan(0);
    expect(facts.speech).toEqual({
      output: { bucket: 'gorggle-processed', key: `${prefix}speech.json` },
      segments: speech.segments.length,
      speechSec: speech.speechSec,
    });
    expect(probeUploaded(`${prefix}video.mp4`).streams[0]).toMatchObject({
      codec_name: 'h264',
      avg_frame_rate: '25/1',
    });

    const stages = stageRecords();
    expect(stages.map((update) => [update.jobId, update.stage, update.record.status])).toEqual([
      [input.jobId, 'extract', 'running'],
      [input.jobId, 'extract', 'succeeded'],
    ]);
    expect(stages[1]!.record).toMatchObject({ facts: { hasAudio: true, hasVideo: true, width: 360, height: 288 } });
    expect(readdirSync(lambdaTmp)).toEqual([]);
  });

  it('fails with UnsupportedMediaError for bytes that are not media, and records why', async () => {
    // Prepare
    const input = { ...sampleInput(), source: { ...sampleInput().source, key: 'uploads/notes.mp4' } };
    const notes = path.join(scratch, 'notes.mp4');
    writeFileSync(notes, 'minutes of the meeting\n'.repeat(20));
    s3.on(GetObjectCommand).callsFake(() => ({ Body: createReadStream(notes) }));

    // Act
    const result = handler(input, context);

    // Assess
    await expect(result).rejects.toMatchObject({
      name: 'UnsupportedMediaError',
      message: expect.stringContaining('ffprobe could not open it'),
    });
    expect(stageRecords().at(-1)!.record).toMatchObject({
      status: 'failed',
      error: {
        name: 'UnsupportedMediaError',
        message: expect.stringContaining(
          'Upload a video (MP4, MOV, MKV or WebM) or an audio file (MP3, M4A, WAV, OGG or FLAC).',
        ),
      },
    });
    expect(uploaded.size).toBe(0);
    expect(readdirSync(lambdaTmp)).toEqual([]);
  });

  it('fails with SourceObjectMissingError when the upload was deleted', async () => {
    // Prepare
    s3.on(GetObjectCommand).rejects(
      Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' }),
    );

    // Act
    const result = handler(sampleInput(), context);

    // Assess
    await expect(result).rejects.toMatchObject({ name: 'SourceObjectMissingError' });
    expect(stageRecords().at(-1)!.record).toMatchObject({
      status: 'failed',
      error: { name: 'SourceObjectMissingError' },
    });
  });

  it('rejects input that does not match the pipeline contract before touching anything', async () => {
    // Prepare
    const input = { jobId: 'has spaces', source: { bucket: 'b' } };

    // Act
    const result = handler(input as unknown as PipelineInput, context);

    // Assess
    await expect(result).rejects.toMatchObject({ name: 'InvalidEventError' });
    expect(dynamodb.calls()).toHaveLength(0);
    expect(s3.calls()).toHaveLength(0);
  });
});
