import { DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import {
  GetFaceDetectionCommand,
  LimitExceededException,
  RekognitionClient,
  StartFaceDetectionCommand,
  ThrottlingException,
  type FaceDetection,
} from '@aws-sdk/client-rekognition';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { facesDocumentSchema } from '../../../functions/lib/contracts/documents';
import { branchStateSchema } from '../../../functions/lib/contracts/pipeline';
import { lambdaContext, sampleEvent, setBranchEnv, stageUpdates } from '../branches/support';

setBranchEnv({ LEASES_TABLE: 'gorggle-quota-leases', REKOGNITION_MAX_CONCURRENT_JOBS: '2' });

// Imported after the environment is set: the logger reads it when the module loads.
const { handler } = await import('../../../functions/face-detect/handler');

const rekognition = mockClient(RekognitionClient);
const s3 = mockClient(S3Client);
const dynamodb = mockClient(DynamoDBClient);
const context = lambdaContext('gorggle-face-detect');
const invoke = async (event: unknown) => branchStateSchema.parse(await handler(event, context));

const JOB_ID = 'a3f1c2d4e5b6a7c8d9e0f1a2b3c4d5e6';
const REKOGNITION_JOB = 'f8e7d6c5b4a39281706f5e4d3c2b1a09';

/** A face as Rekognition reports it: percent confidence, landmarks in frame-relative units. */
function detection(timestampMs: number, left: number, top = 0.2): FaceDetection {
  return {
    Timestamp: timestampMs,
    Face: {
      BoundingBox: { Left: left, Top: top, Width: 0.2, Height: 0.3 },
      Confidence: 99.5,
      Landmarks: [
        { Type: 'eyeLeft', X: left + 0.05, Y: top + 0.1 },
        { Type: 'mouthLeft', X: left + 0.06, Y: top + 0.22 },
        { Type: 'mouthRight', X: left + 0.14, Y: top + 0.22 },
        { Type: 'mouthUp', X: left + 0.1, Y: top + 0.2 },
        { Type: 'mouthDown', X: left + 0.1, Y: top + 0.25 },
      ],
    },
  };
}

/** Two speakers side by side, sampled every 200 ms, drifting slowly to the right. */
const speakersAt = (timestampMs: number) => [
  detection(timestampMs, 0.1 + timestampMs / 100_000),
  detection(timestampMs, 0.6 + timestampMs / 100_000),
];

const succeededPage = (faces: FaceDetection[], nextToken?: string) => ({
  JobStatus: 'SUCCEEDED' as const,
  VideoMetadata: { DurationMillis: 3000, FrameRate: 25 },
  Faces: faces,
  NextToken: nextToken,
});

function writtenFacesDocument() {
  const put = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
  expect(put).toMatchObject({
    Bucket: 'gorggle-processed',
    Key: `jobs/${JOB_ID}/faces.json`,
    ContentType: 'application/json',
  });
  return facesDocumentSchema.parse(JSON.parse(put.Body as string));
}

/** DynamoDB's answer to a conditional write whose condition did not hold (here: every slot taken). */
const conditionFailed = () =>
  Object.assign(new Error('The conditional request failed'), {
    name: 'ConditionalCheckFailedException',
    $metadata: {},
  });

beforeEach(() => {
  rekognition.reset();
  s3.reset();
  dynamodb.reset();
  dynamodb.on(UpdateItemCommand).resolves({});
  dynamodb.on(GetItemCommand).resolves({});
  dynamodb.on(PutItemCommand).resolves({});
  s3.on(PutObjectCommand).resolves({});
});

describe('face-detect start', () => {
  it('starts face detection on the normalised video with an idempotency token from the job id', async () => {
    // Prepare
    rekognition.on(StartFaceDetectionCommand).resolves({ JobId: REKOGNITION_JOB });

    // Act
    const state = await invoke(sampleEvent('face-detect', 'start.json'));

    // Assess
    expect(rekognition).toHaveReceivedCommandWith(StartFaceDetectionCommand, {
      Video: { S3Object: { Bucket: 'gorggle-processed', Name: `jobs/${JOB_ID}/video.mp4` } },
      FaceAttributes: 'DEFAULT',
      ClientRequestToken: JOB_ID,
    });
    expect(dynamodb).toHaveReceivedCommandWith(UpdateItemCommand, {
      TableName: 'gorggle-quota-leases',
      ConditionExpression: 'attribute_exists(holders.#holder) OR size(holders) < :slots',
    });
    expect(state).toMatchObject({ modality: 'faces', status: 'running', handle: REKOGNITION_JOB, attempts: 0 });
    expect(stageUpdates(dynamodb)).toEqual([
      {
        jobId: JOB_ID,
        stage: 'faces',
        record: { status: 'running', startedAt: state.startedAt, facts: { waitingForRekognitionSlot: false } },
      },
    ]);
  });

  it('waits in its polling loop, starting nothing, while every Rekognition slot is taken', async () => {
    // Prepare
    dynamodb
      .on(UpdateItemCommand, { TableName: 'gorggle-quota-leases' })
      .rejects(conditionFailed())
      .on(GetItemCommand, { TableName: 'gorggle-quota-leases' })
      .resolves({
        Item: marshall({ gate: 'rekognition-video', holders: { a: Date.now() + 60_000, b: Date.now() + 60_000 } }),
      });

    // Act
    const state = await invoke(sampleEvent('face-detect', 'start.json'));

    // Assess
    expect(state).toMatchObject({ status: 'running', facts: { waitingForRekognitionSlot: true } });
    expect(state.handle).toBeUndefined();
    expect(rekognition).not.toHaveReceivedAnyCommand();
  });

  it("waits, and gives its slot back, when Rekognition says the account's quota is full", async () => {
    // Prepare: other applications in the account use slots this gate does not count.
    rekognition
      .on(StartFaceDetectionCommand)
      .rejects(new LimitExceededException({ message: 'Service limit exceeded', $metadata: {} }));

    // Act
    const state = await invoke(sampleEvent('face-detect', 'start.json'));

    // Assess
    expect(state).toMatchObject({ status: 'running', facts: { waitingForRekognitionSlot: true } });
    expect(dynamodb).toHaveReceivedCommandWith(UpdateItemCommand, {
      TableName: 'gorggle-quota-leases',
      UpdateExpression: 'REMOVE holders.#holder',
    });
  });

  it('starts detection at a later check once a slot is free', async () => {
    // Prepare: the start found no slot; one holder has finished since.
    const waiting = { ...sampleEvent('face-detect', 'check.json') } as unknown as { state: Record<string, unknown> };
    delete waiting.state.handle;
    rekognition.on(StartFaceDetectionCommand).resolves({ JobId: REKOGNITION_JOB });

    // Act
    const state = await invoke(waiting);

    // Assess
    expect(state).toMatchObject({
      status: 'running',
      handle: REKOGNITION_JOB,
      facts: { waitingForRekognitionSlot: false },
    });
    expect(rekognition).not.toHaveReceivedCommand(GetFaceDetectionCommand);
  });

  it('skips an audio-only upload', async () => {
    // Act
    const state = await invoke(sampleEvent('face-detect', 'start-no-video.json'));

    // Assess
    expect(state).toMatchObject({ status: 'skipped', reason: 'no video stream' });
    expect(rekognition).not.toHaveReceivedAnyCommand();
  });
});

describe('face-detect check', () => {
  const checkEvent = () => sampleEvent('face-detect', 'check.json');

  it('keeps polling while Rekognition is IN_PROGRESS', async () => {
    // Prepare
    rekognition.on(GetFaceDetectionCommand).resolves({ JobStatus: 'IN_PROGRESS' });

    // Act
    const state = await invoke(checkEvent());

    // Assess
    expect(state).toMatchObject({ status: 'running', attempts: 2, handle: REKOGNITION_JOB });
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
  });

  it('reads all three pages into faces.json with mouth landmarks and two stable tracks', async () => {
    // Prepare
    const pages = [
      [0, 200, 400].flatMap(speakersAt),
      [600, 800, 1000].flatMap(speakersAt),
      [1200, 1400].flatMap(speakersAt),
    ];
    rekognition
      .on(GetFaceDetectionCommand, { JobId: REKOGNITION_JOB, MaxResults: 1000, NextToken: undefined })
      .resolves(succeededPage(pages[0]!, 'page-2'))
      .on(GetFaceDetectionCommand, { JobId: REKOGNITION_JOB, NextToken: 'page-2' })
      .resolves(succeededPage(pages[1]!, 'page-3'))
      .on(GetFaceDetectionCommand, { JobId: REKOGNITION_JOB, NextToken: 'page-3' })
      .resolves(succeededPage(pages[2]!));

    // Act
    const state = await invoke(checkEvent());

    // Assess
    expect(rekognition).toHaveReceivedCommandTimes(GetFaceDetectionCommand, 3);
    for (const call of rekognition.commandCalls(GetFaceDetectionCommand))
      expect(call.args[0].input.MaxResults).toBe(1000);
    const document = writtenFacesDocument();
    expect(document.detections).toHaveLength(16);
    expect(document.durationSec).toBe(3);
    expect(document.frameIntervalSec).toBe(0.2);
    expect(document.tracks).toEqual([
      { trackId: 'face-1', firstSeen: 0, lastSeen: 1.4, detections: 8 },
      { trackId: 'face-2', firstSeen: 0, lastSeen: 1.4, detections: 8 },
    ]);
    const left = document.detections.filter((face) => face.box.left < 0.5);
    expect(new Set(left.map((face) => face.trackId))).toEqual(new Set(['face-1']));
    expect(document.detections[0]).toEqual({
      time: 0,
      trackId: 'face-1',
      box: { left: 0.1, top: 0.2, width: 0.2, height: 0.3 },
      confidence: 0.995,
      mouth: {
        left: { x: 0.16, y: expect.closeTo(0.42, 6) },
        right: { x: expect.closeTo(0.24, 6), y: expect.closeTo(0.42, 6) },
        up: { x: expect.closeTo(0.2, 6), y: expect.closeTo(0.4, 6) },
        down: { x: expect.closeTo(0.2, 6), y: expect.closeTo(0.45, 6) },
      },
    });
    expect(state).toMatchObject({
      status: 'succeeded',
      output: { bucket: 'gorggle-processed', key: `jobs/${JOB_ID}/faces.json` },
      facts: { faceDetections: 16, faceTracks: 2 },
    });
    expect(stageUpdates(dynamodb)[0]!.record).toMatchObject({ status: 'succeeded', facts: { faceTracks: 2 } });
  });

  it('writes an empty faces.json when the video has no faces', async () => {
    // Prepare
    rekognition.on(GetFaceDetectionCommand).resolves(succeededPage([]));

    // Act
    const state = await invoke(checkEvent());

    // Assess
    expect(writtenFacesDocument()).toMatchObject({ detections: [], tracks: [], frameIntervalSec: 0 });
    expect(state.status).toBe('succeeded');
  });

  it('fails the branch with Rekognition’s StatusMessage when the job FAILED', async () => {
    // Prepare
    rekognition
      .on(GetFaceDetectionCommand)
      .resolves({ JobStatus: 'FAILED', StatusMessage: 'Unsupported codec: the video could not be decoded.' });

    // Act
    const state = await invoke(checkEvent());

    // Assess
    expect(state.status).toBe('failed');
    expect(state.error).toEqual({
      name: 'FaceDetectionFailedError',
      message: expect.stringContaining('Unsupported codec: the video could not be decoded.'),
    });
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
  });

  it('surfaces Rekognition throttling as ServiceThrottledError', async () => {
    // Prepare
    rekognition
      .on(GetFaceDetectionCommand)
      .rejects(new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }));

    // Act
    const run = handler(checkEvent(), context);

    // Assess
    await expect(run).rejects.toMatchObject({ name: 'ServiceThrottledError' });
  });
});
