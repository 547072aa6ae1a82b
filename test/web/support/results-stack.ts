/**
 * What the browser tests run against until they run on the full local stack: a real s3rver
 * and dynalite, the api handler behind the local API gateway, and one finished job made
 * from a small real video (ffmpeg) with real result.json, captions and faces.json.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CreateTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command, PutBucketCorsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import dynalite from 'dynalite';
import {
  resultDocumentSchema,
  type FacesDocument,
  type ResultDocument,
} from '../../../functions/lib/contracts/documents';
import type { JobRecord } from '../../../functions/lib/contracts/job';
import { buildWeb } from '../../../scripts/build-web';
import { transcribeJson, type SpokenItem } from '../../unit/fuse/builders';
import { startLocalApiGateway, type LocalApiGateway } from '../../../scripts/local-api-gateway';
import {
  conditionalWrites,
  type KoaMiddleware,
  type ObjectExistence,
} from '../../../scripts/local-stack/s3/conditional-writes';
import { localS3CorsRules } from '../../../scripts/local-stack/s3/server';

const run = promisify(execFile);

export const REGION = 'us-east-1';
export const UPLOADS_BUCKET = 'gorggle-uploads';
export const PROCESSED_BUCKET = 'gorggle-processed';
export const JOBS_TABLE = 'gorggle-jobs';
export const TOKEN = 'browser-test-token-0123456789';
export const FINISHED_JOB_ID = 'f00dfacef00dfacef00dfacef00dface';
export const XSS_FILE_NAME = '<img src=x onerror=alert(1)>.mp4';

/** What the seeded result says at 1.0 s, in the fused track. */
export const FUSED_CUE_TEXT = 'bin blue at f two now';
/** The speaking face (Speaker 1, t1) and the listener beside it (Speaker 2, t2). */
export const FACE_BOX = { left: 0.1, top: 0.2, width: 0.3, height: 0.5 };
export const LISTENER_BOX = { left: 0.6, top: 0.2, width: 0.3, height: 0.5 };
/** A name with markup, as a user may give one (issue 17): it must render as text. */
export const HOSTILE_SPEAKER_NAME = '<img src=y onerror=alert(2)>"]{}';
/** The second speaker's reply, 3.1 to 3.8 s. */
export const REPLY_TEXT = 'yes';

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  store: ObjectExistence;
  middleware: KoaMiddleware[];
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverInstance;
const S3rver = createRequire(import.meta.url)('s3rver') as S3rverConstructor;

export interface ResultsStack {
  gateway: LocalApiGateway;
  s3: S3Client;
  s3Url: string;
  uploadedKeys(): Promise<string[]>;
  stop(): Promise<void>;
}

const escapeCue = (text: string) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
const vtt = (cues: Array<[number, number, string]>) =>
  `WEBVTT\n\n${cues.map(([start, end, text], i) => `${i + 1}\n${stamp(start)} --> ${stamp(end)}\n${text}\n`).join('\n')}`;
const stamp = (seconds: number, separator = '.') =>
  `00:00:${seconds.toFixed(3).padStart(6, '0')}`.replace('.', separator);

export function sampleResult(jobId: string, sourceKey: string): ResultDocument {
  const words = FUSED_CUE_TEXT.split(' ').map((text, i) => ({
    start: 0.5 + i * 0.4,
    end: 0.8 + i * 0.4,
    text,
    confidence: [0.97, 0.62, 0.88, 0.45, 0.91, 0.79][i] ?? 0.8,
    source: (['both', 'audio', 'both', 'visual', 'both', 'audio'] as const)[i] ?? 'both',
  }));
  return resultDocumentSchema.parse({
    version: '2.0',
    jobId,
    source: { bucket: UPLOADS_BUCKET, key: sourceKey },
    speakers: [
      {
        id: 'S1',
        label: 'Speaker 1',
        onScreen: true,
        faceId: 't1',
        voices: ['spk_0'],
        speakingSec: 1.8,
        meanSpeakingScore: 2.1,
      },
      {
        id: 'S2',
        label: HOSTILE_SPEAKER_NAME,
        onScreen: true,
        faceId: 't2',
        voices: ['spk_0'],
        speakingSec: 0.7,
        meanSpeakingScore: 1.4,
      },
    ],
    speakerEvidence: 'active-speaker',
    segments: [
      {
        start: 0.5,
        end: 3.0,
        speaker: 'S1',
        voice: 'spk_0',
        text: FUSED_CUE_TEXT,
        confidence: 0.85,
        audioText: 'bin blue at f two now',
        visualText: 'bin blue at e two now',
        face: { faceId: 't1', box: FACE_BOX },
        speakingScore: 2.1,
        words: words.map((word) => ({ ...word, speaker: 'S1', speakingScore: 2.1 })),
      },
      {
        start: 3.1,
        end: 3.8,
        speaker: 'S2',
        voice: 'spk_0',
        text: REPLY_TEXT,
        confidence: 0.9,
        audioText: REPLY_TEXT,
        visualText: '',
        face: { faceId: 't2', box: LISTENER_BOX },
        speakingScore: 1.4,
        words: [
          {
            start: 3.1,
            end: 3.8,
            text: REPLY_TEXT,
            confidence: 0.9,
            source: 'audio',
            speaker: 'S2',
            speakingScore: 1.4,
          },
        ],
      },
    ],
    modalities: {
      transcribe: { status: 'succeeded' },
      faces: { status: 'succeeded' },
      activeSpeakers: { status: 'succeeded' },
      lipreading: { status: 'skipped', reason: 'no lip-reading model configured (set GORGGLE_MODEL_DIR)' },
    },
    metrics: { durationSec: 4, words: words.length + 1, speakers: 2, wer: { audio: 0, fused: 0 } },
  });
}

async function makeMedia(dir: string): Promise<{ video: string; poster: string }> {
  const video = path.join(dir, 'video.mp4');
  const poster = path.join(dir, 'poster.jpg');
  await run('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y'],
    ...['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=4'],
    ...['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=16000:duration=4'],
    ...['-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-movflags', '+faststart', '-shortest', video],
  ]);
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-ss', '1', '-i', video, '-frames:v', '1', poster]);
  return { video, poster };
}

function job(jobId: string, key: string, overrides: Partial<JobRecord>): JobRecord {
  return {
    jobId,
    status: 'COMPLETED',
    kind: 'upload',
    source: { bucket: UPLOADS_BUCKET, key, etag: 'etag', size: 48_213 },
    stages: {},
    createdAt: '2026-11-21T10:00:00.000Z',
    updatedAt: '2026-11-21T10:02:00.000Z',
    ...overrides,
  };
}

export async function startResultsStack(): Promise<ResultsStack> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gorggle-web-'));
  const s3rver = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory: path.join(dir, 's3'),
    silent: true,
    vhostBuckets: false,
    configureBuckets: [UPLOADS_BUCKET, PROCESSED_BUCKET].map((name) => ({ name, configs: [] })),
  });
  // Conditional writes as the local stack's S3 has them (caption edits need them).
  s3rver.middleware.splice(3, 0, conditionalWrites(s3rver.store));
  const s3Address = await s3rver.run();
  const s3Url = `http://127.0.0.1:${s3Address.port}`;
  const dynamo = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => dynamo.listen(0, '127.0.0.1', () => resolve()));
  const dynamoUrl = `http://127.0.0.1:${(dynamo.address() as AddressInfo).port}`;

  Object.assign(process.env, {
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_ENDPOINT_URL_S3: s3Url,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoUrl,
    AWS_ENDPOINT_URL_SFN: 'http://127.0.0.1:9',
    JOBS_TABLE,
    UPLOADS_BUCKET,
    PROCESSED_BUCKET,
    MAX_UPLOAD_BYTES: String(50 * 1024 * 1024),
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  const s3 = new S3Client({ region: REGION, endpoint: s3Url, forcePathStyle: true, credentials });
  const dynamodb = new DynamoDBClient({ region: REGION, endpoint: dynamoUrl, credentials });
  await dynamodb.send(
    new CreateTableCommand({
      TableName: JOBS_TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: ['jobId', 'listPk', 'createdAt'].map((name) => ({
        AttributeName: name,
        AttributeType: 'S',
      })),
      KeySchema: [{ AttributeName: 'jobId', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'recent',
          KeySchema: [
            { AttributeName: 'listPk', KeyType: 'HASH' },
            { AttributeName: 'createdAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    }),
  );

  // The finished job: real media and documents under jobs/<jobId>/.
  const sourceKey = 'uploads/5d1c/bbaf2n.mp4';
  const media = await makeMedia(dir);
  const result = sampleResult(FINISHED_JOB_ID, sourceKey);
  const faces: FacesDocument = {
    version: 1,
    frameIntervalSec: 0.2,
    durationSec: 4,
    detections: Array.from({ length: 20 }, (_, i) =>
      (['t1', 't2'] as const).map((trackId) => ({
        time: Number((i * 0.2).toFixed(1)),
        trackId,
        box: trackId === 't1' ? FACE_BOX : LISTENER_BOX,
        confidence: 0.99,
      })),
    ).flat(),
    tracks: [
      { trackId: 't1', firstSeen: 0, lastSeen: 3.8, detections: 20 },
      { trackId: 't2', firstSeen: 0, lastSeen: 3.8, detections: 20 },
    ],
  };
  const fusedCues: Array<[number, number, string]> = [
    [0.5, 3.0, `<v Speaker 1>Speaker 1: ${FUSED_CUE_TEXT}`],
    [3.1, 3.8, `<v ${HOSTILE_SPEAKER_NAME.replace(/[<>&]/g, '_')}>${escapeCue(HOSTILE_SPEAKER_NAME)}: ${REPLY_TEXT}`],
  ];
  const files: Array<[string, string | Buffer, string]> = [
    ['result.json', JSON.stringify(result), 'application/json'],
    ['faces.json', JSON.stringify(faces), 'application/json'],
    // Amazon Transcribe's own output: the speech-only track and its downloads are drawn from it.
    [
      'transcribe.json',
      transcribeJson([
        ...FUSED_CUE_TEXT.split(' ').map((text, i): SpokenItem => [text, 0.5 + i * 0.4, 0.8 + i * 0.4, 0.9]),
        [REPLY_TEXT, 3.1, 3.8, 0.9],
      ]),
      'application/json',
    ],
    ['captions.vtt', vtt(fusedCues), 'text/vtt'],
    ['captions.srt', `1\n${stamp(0.5, ',')} --> ${stamp(3, ',')}\n${FUSED_CUE_TEXT}\n`, 'application/x-subrip'],
    ['audio.vtt', vtt([[0.5, 3.0, 'bin blue at f two now']]), 'text/vtt'],
    ['visual.vtt', vtt([[0.5, 3.0, 'bin blue at e two now']]), 'text/vtt'],
    ['video.mp4', await readFile(media.video), 'video/mp4'],
    ['poster.jpg', await readFile(media.poster), 'image/jpeg'],
  ];
  for (const [file, body, contentType] of files) {
    await s3.send(
      new PutObjectCommand({
        Bucket: PROCESSED_BUCKET,
        Key: `jobs/${FINISHED_JOB_ID}/${file}`,
        Body: body,
        ContentType: contentType,
      }),
    );
  }
  const at = (second: number) => new Date(Date.UTC(2026, 10, 21, 10, 0, second)).toISOString();
  const rows: JobRecord[] = [
    job(FINISHED_JOB_ID, sourceKey, {
      status: 'DEGRADED',
      stages: {
        extract: { status: 'succeeded', startedAt: at(1), endedAt: at(4) },
        transcribe: { status: 'succeeded', startedAt: at(4), endedAt: at(40) },
        faces: { status: 'succeeded', startedAt: at(4), endedAt: at(31) },
        lipreading: {
          status: 'failed',
          startedAt: at(4),
          endedAt: at(50),
          error: { name: 'PollingTimeoutError', message: 'The lip-reading server was busy for too long.' },
        },
        fuse: { status: 'succeeded', startedAt: at(50), endedAt: at(52) },
      },
      summary: {
        durationSec: 4,
        words: 7,
        speakers: 2,
        degradedReasons: ['lip reading: the server was busy for too long'],
      },
    }),
    job('badbadbadbadbadbadbadbadbadbad00', `uploads/9f2e/${XSS_FILE_NAME}`, {
      status: 'FAILED',
      createdAt: '2026-11-21T09:00:00.000Z',
      error: { name: 'UnsupportedMediaError', message: 'The file has no video stream. <b>Upload</b> a video.' },
    }),
  ];
  for (const row of rows) {
    await dynamodb.send(new PutItemCommand({ TableName: JOBS_TABLE, Item: marshall({ ...row, listPk: 'JOB' }) }));
  }

  const { handler } = await import('../../../functions/api/handler');
  const context = {
    functionName: 'gorggle-api',
    awsRequestId: 'local',
    getRemainingTimeInMillis: () => 15_000,
  } as unknown as Context;
  const web = await buildWeb(path.join(dir, 'web'));
  const gateway = await startLocalApiGateway({
    port: 0,
    staticDir: web.outDir,
    token: TOKEN,
    connectOrigins: [s3Url],
    config: {
      region: REGION,
      consoleLinks: false,
      maxUploadBytes: 50 * 1024 * 1024,
      allowedExtensions: ['mp4', 'mov', 'webm', 'mkv'],
    },
    invoke: async (event) => (await handler(event as never, context)) as APIGatewayProxyStructuredResultV2,
  });
  // CORS for the gateway's page only, as the local stack sets it.
  for (const bucket of [UPLOADS_BUCKET, PROCESSED_BUCKET]) {
    await s3.send(
      new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: localS3CorsRules(gateway.pageOrigins) }),
    );
  }

  return {
    gateway,
    s3,
    s3Url,
    uploadedKeys: async () =>
      ((await s3.send(new ListObjectsV2Command({ Bucket: UPLOADS_BUCKET }))).Contents ?? []).map((o) => o.Key ?? ''),
    stop: async () => {
      await gateway.close();
      await s3rver.close();
      await new Promise<void>((resolve) => dynamo.close(() => resolve()));
      s3.destroy();
      dynamodb.destroy();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
