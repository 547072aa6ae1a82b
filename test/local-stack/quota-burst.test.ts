/**
 * A burst of 50 uploads against AWS's quotas: the pipeline's own definition on the local
 * engine, the real transcribe and face-detect handlers (their adapters, the Rekognition gate
 * on dynalite), and Transcribe and Rekognition answering with their quotas the way AWS does:
 * Transcribe queues jobs it is told may wait, and refuses others; Rekognition refuses a
 * 21st running job. Every job must complete with every modality: none degraded for quota.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  GetFaceDetectionCommand,
  LimitExceededException as RekognitionLimitExceeded,
  RekognitionClient,
  StartFaceDetectionCommand,
  type StartFaceDetectionCommandInput,
} from '@aws-sdk/client-rekognition';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  GetTranscriptionJobCommand,
  LimitExceededException as TranscribeLimitExceeded,
  StartTranscriptionJobCommand,
  TranscribeClient,
  type StartTranscriptionJobCommandInput,
} from '@aws-sdk/client-transcribe';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDbJobRegistry } from '../../functions/lib/adapters/dynamodb-job-registry';
import type { BranchResult, PipelineInput } from '../../functions/lib/contracts/pipeline';
import { renderStateMachine } from '../../scripts/render-statemachine';
import { SfnEngine, type TaskOutcome } from '../../scripts/local-stack/sfn/engine';
import { startLocalDynamoDb } from '../support/local-dynamodb';

const BURST = 50;
const REKOGNITION_QUOTA = 20;
/** Rekognition jobs of another application in the same account, which the gate does not see. */
const FOREIGN_REKOGNITION_JOBS = 2;
const TRANSCRIBE_QUOTA = 8;
const GATE_SLOTS = 18;
const DATA_ACCESS_ROLE = 'arn:aws:iam::000000000000:role/gorggle-transcribe-data-access';

const dynamodb = await startLocalDynamoDb(['jobs', 'quota_leases']);
Object.assign(process.env, {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  JOBS_TABLE: dynamodb.tables.jobs,
  LEASES_TABLE: dynamodb.tables.quota_leases,
  PROCESSED_BUCKET: 'processed',
  POLL_INTERVAL_SECONDS: '1',
  REKOGNITION_MAX_CONCURRENT_JOBS: String(GATE_SLOTS),
  TRANSCRIBE_LANGUAGE: 'en-US',
  TRANSCRIBE_DATA_ACCESS_ROLE_ARN: DATA_ACCESS_ROLE,
});

// Imported after the environment is set, as Lambda loads them.
const transcribeHandler = (await import('../../functions/transcribe/handler')).handler;
const faceDetectHandler = (await import('../../functions/face-detect/handler')).handler;

/** Amazon Rekognition's stored-video quota: a start beyond it is refused; a job finishes after a few checks. */
class QuotaRekognition {
  readonly running = new Map<string, number>();
  private readonly byToken = new Map<string, string>();
  peak = 0;
  refused = 0;
  started = 0;

  start(input: StartFaceDetectionCommandInput) {
    const earlier = input.ClientRequestToken && this.byToken.get(input.ClientRequestToken);
    if (earlier) return { JobId: earlier };
    if (this.running.size + FOREIGN_REKOGNITION_JOBS >= REKOGNITION_QUOTA) {
      this.refused += 1;
      throw new RekognitionLimitExceeded({
        message: 'An Amazon Rekognition service limit was exceeded.',
        $metadata: {},
      });
    }
    const jobId = `rek-${++this.started}`;
    this.running.set(jobId, 0);
    if (input.ClientRequestToken) this.byToken.set(input.ClientRequestToken, jobId);
    this.peak = Math.max(this.peak, this.running.size + FOREIGN_REKOGNITION_JOBS);
    return { JobId: jobId };
  }

  get(jobId: string) {
    const checks = (this.running.get(jobId) ?? Number.POSITIVE_INFINITY) + 1;
    if (checks < 2) {
      this.running.set(jobId, checks);
      return { JobStatus: 'IN_PROGRESS' as const };
    }
    this.running.delete(jobId);
    return { JobStatus: 'SUCCEEDED' as const, VideoMetadata: { DurationMillis: 3000, FrameRate: 25 }, Faces: [] };
  }
}

/** Amazon Transcribe's concurrency quota, with its queue for jobs that allow deferred execution. */
class QuotaTranscribe {
  private readonly jobs = new Map<string, { status: 'QUEUED' | 'IN_PROGRESS' | 'COMPLETED'; checks: number }>();
  peakQueued = 0;
  refused = 0;
  withoutDataAccessRole = 0;

  private inProgress = () => [...this.jobs.values()].filter((job) => job.status === 'IN_PROGRESS').length;

  start(input: StartTranscriptionJobCommandInput) {
    const deferred = input.JobExecutionSettings?.AllowDeferredExecution === true;
    if (deferred && input.JobExecutionSettings?.DataAccessRoleArn !== DATA_ACCESS_ROLE) this.withoutDataAccessRole += 1;
    const full = this.inProgress() >= TRANSCRIBE_QUOTA;
    if (full && !deferred) {
      this.refused += 1;
      throw new TranscribeLimitExceeded({ message: 'You have reached your limit of concurrent jobs.', $metadata: {} });
    }
    this.jobs.set(input.TranscriptionJobName!, { status: full ? 'QUEUED' : 'IN_PROGRESS', checks: 0 });
    this.peakQueued = Math.max(
      this.peakQueued,
      [...this.jobs.values()].filter((job) => job.status === 'QUEUED').length,
    );
    return {};
  }

  get(name: string) {
    const job = this.jobs.get(name)!;
    if (job.status === 'IN_PROGRESS' && ++job.checks >= 1) {
      job.status = 'COMPLETED';
      const next = [...this.jobs.values()].find((candidate) => candidate.status === 'QUEUED');
      if (next) next.status = 'IN_PROGRESS';
    }
    return { TranscriptionJob: { TranscriptionJobName: name, TranscriptionJobStatus: job.status } };
  }
}

const functionArn = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:gorggle-${name}`;
const context = (name: string) =>
  ({
    functionName: `gorggle-${name}`,
    awsRequestId: 'burst',
    getRemainingTimeInMillis: () => 30_000,
  }) as unknown as Context;

afterAll(() => dynamodb.stop());

describe('a burst of 50 uploads against mocked quotas', () => {
  it('completes every job with every modality: jobs over a quota wait in their polling loop, none degrades', async () => {
    // Prepare
    const rekognition = new QuotaRekognition();
    const transcribe = new QuotaTranscribe();
    mockClient(RekognitionClient)
      .on(StartFaceDetectionCommand)
      .callsFake((input: StartFaceDetectionCommandInput) => rekognition.start(input))
      .on(GetFaceDetectionCommand)
      .callsFake((input: { JobId: string }) => rekognition.get(input.JobId));
    mockClient(TranscribeClient)
      .on(StartTranscriptionJobCommand)
      .callsFake((input: StartTranscriptionJobCommandInput) => transcribe.start(input))
      .on(GetTranscriptionJobCommand)
      .callsFake((input: { TranscriptionJobName: string }) => transcribe.get(input.TranscriptionJobName));
    mockClient(S3Client).on(PutObjectCommand).resolves({});
    const registry = new DynamoDbJobRegistry(new DynamoDBClient({}), dynamodb.tables.jobs!);
    const fused: BranchResult[][] = [];

    const jobs: PipelineInput[] = Array.from({ length: BURST }, (_, index) => ({
      jobId: `burst-${String(index).padStart(2, '0')}`,
      source: { bucket: 'uploads', key: `uploads/burst/${index}.mp4`, etag: `e${index}`, size: 1000 },
      kind: 'upload',
    }));
    for (const job of jobs) {
      const now = new Date().toISOString();
      await registry.createIfAbsent({ ...job, status: 'RUNNING', stages: {}, createdAt: now, updatedAt: now });
    }

    const handlers: Record<string, (input: never) => Promise<unknown>> = {
      extract: async (input: PipelineInput) => ({
        durationSec: 3,
        hasAudio: true,
        hasVideo: true,
        width: 360,
        height: 288,
        fps: 25,
        audio: { bucket: 'processed', key: `jobs/${input.jobId}/audio.wav` },
        video: { bucket: 'processed', key: `jobs/${input.jobId}/video.mp4` },
        probe: { bucket: 'processed', key: `jobs/${input.jobId}/probe.json` },
      }),
      transcribe: (input) => transcribeHandler(input, context('transcribe')),
      'face-detect': (input) => faceDetectHandler(input, context('face-detect')),
      'invoke-lipreading': async (input: { job: PipelineInput }) => ({
        modality: 'lipreading',
        status: 'succeeded',
        attempts: 0,
        waitSeconds: 1,
        startedAt: new Date().toISOString(),
        endedAt: new Date().toISOString(),
        output: { bucket: 'processed', key: `jobs/${input.job.jobId}/lipreading.json` },
      }),
      fuse: async (input: { branches: BranchResult[] }) => {
        fused.push(input.branches);
        return { status: 'COMPLETED' };
      },
      'record-failure': async () => null,
    };
    const engine = new SfnEngine({
      stateMachine: {
        name: 'gorggle-pipeline',
        arn: 'arn:aws:states:us-east-1:000000000000:stateMachine:gorggle-pipeline',
        roleArn: 'arn:aws:iam::000000000000:role/gorggle-pipeline',
        definition: renderStateMachine({ functionArn, taskTimeoutSeconds: () => 60 }) as never,
      },
      waitMs: 20,
      retryIntervalScale: 0,
      invokeTask: async (resource, input): Promise<TaskOutcome> => {
        const name = resource.split(':function:gorggle-')[1]!;
        try {
          return { ok: true, payload: await handlers[name]!(input as never) };
        } catch (error) {
          const { name: errorType, message } = error as Error;
          return { ok: false, error: { errorType, errorMessage: message, trace: [] } };
        }
      },
    });

    // Act: all 50 at once.
    const arns = jobs.map(
      (job) =>
        engine.startExecution({ stateMachineArn: engine.stateMachine.arn, name: job.jobId, input: JSON.stringify(job) })
          .executionArn,
    );
    await Promise.all(arns.map((arn) => engine.settled(arn)));
    await engine.close();

    // Assess: every job completed, and no modality was lost to a quota.
    const statuses = arns.map((executionArn) => engine.describeExecution({ executionArn }).status);
    expect(statuses.filter((status) => status !== 'SUCCEEDED')).toEqual([]);
    expect(fused).toHaveLength(BURST);
    const degraded = fused.flatMap((branches) =>
      branches
        .filter((branch) => branch.status !== 'succeeded')
        .map((branch) => `${branch.modality}: ${branch.error?.message}`),
    );
    expect(degraded).toEqual([]);
    // Rekognition: the gate kept the burst within the quota the account shares.
    expect(rekognition.peak).toBeLessThanOrEqual(REKOGNITION_QUOTA);
    expect(rekognition.started).toBe(BURST);
    expect(rekognition.refused).toBe(0);
    // Transcribe: jobs over its quota waited in its queue (deferred execution); none was refused.
    expect(transcribe.peakQueued).toBeGreaterThan(0);
    expect(transcribe.refused).toBe(0);
    expect(transcribe.withoutDataAccessRole).toBe(0);
  }, 240_000);
});
