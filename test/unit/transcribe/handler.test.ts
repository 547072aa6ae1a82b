import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import {
  ConflictException,
  GetTranscriptionJobCommand,
  LimitExceededException,
  StartTranscriptionJobCommand,
  TranscribeClient,
} from '@aws-sdk/client-transcribe';
import { mockClient } from 'aws-sdk-client-mock';
import type { BranchState } from '../../../functions/lib/contracts/pipeline';
import { branchStateSchema } from '../../../functions/lib/contracts/pipeline';
import { lambdaContext, sampleEvent, setBranchEnv, stageUpdates } from '../branches/support';

const DATA_ACCESS_ROLE = 'arn:aws:iam::123456789012:role/gorggle-transcribe-data-access';
setBranchEnv({ TRANSCRIBE_LANGUAGE: 'en-US', MAX_SPEAKERS: '3', TRANSCRIBE_DATA_ACCESS_ROLE_ARN: DATA_ACCESS_ROLE });

// Imported after the environment is set: the logger reads it when the module loads.
const { handler } = await import('../../../functions/transcribe/handler');

const transcribe = mockClient(TranscribeClient);
const dynamodb = mockClient(DynamoDBClient);
const context = lambdaContext('gorggle-transcribe');
const invoke = async (event: unknown) => branchStateSchema.parse(await handler(event, context));

const JOB_ID = 'a3f1c2d4e5b6a7c8d9e0f1a2b3c4d5e6';

beforeEach(() => {
  transcribe.reset();
  dynamodb.reset();
  dynamodb.on(UpdateItemCommand).resolves({});
});

describe('transcribe start', () => {
  it('starts a speaker-labelled job on the extracted audio, named after the job', async () => {
    // Prepare
    transcribe.on(StartTranscriptionJobCommand).resolves({});

    // Act
    const state = await invoke(sampleEvent('transcribe', 'start.json'));

    // Assess
    expect(transcribe).toHaveReceivedCommandWith(StartTranscriptionJobCommand, {
      TranscriptionJobName: `gorggle-${JOB_ID}`,
      Media: { MediaFileUri: `s3://gorggle-processed/jobs/${JOB_ID}/audio.wav` },
      MediaFormat: 'wav',
      LanguageCode: 'en-US',
      OutputBucketName: 'gorggle-processed',
      OutputKey: `jobs/${JOB_ID}/transcribe.json`,
      Settings: { ShowSpeakerLabels: true, MaxSpeakerLabels: 3 },
      // Over the account's quota, Transcribe queues the job instead of refusing it.
      JobExecutionSettings: { AllowDeferredExecution: true, DataAccessRoleArn: DATA_ACCESS_ROLE },
    });
    expect(state).toMatchObject({
      modality: 'transcribe',
      status: 'running',
      handle: `gorggle-${JOB_ID}`,
      attempts: 0,
      waitSeconds: 7,
    });
    expect(stageUpdates(dynamodb)).toEqual([
      { jobId: JOB_ID, stage: 'transcribe', record: { status: 'running', startedAt: state.startedAt } },
    ]);
  });

  it('treats a ConflictException as a start that already happened', async () => {
    // Prepare
    transcribe
      .on(StartTranscriptionJobCommand)
      .rejects(new ConflictException({ message: 'The requested job name already exists.', $metadata: {} }));

    // Act
    const state = await invoke(sampleEvent('transcribe', 'start.json'));

    // Assess
    expect(state).toMatchObject({ status: 'running', handle: `gorggle-${JOB_ID}` });
    expect(transcribe).toHaveReceivedCommandTimes(StartTranscriptionJobCommand, 1);
  });

  it('skips a video without an audio stream and calls nothing', async () => {
    // Act
    const state = await invoke(sampleEvent('transcribe', 'start-no-audio.json'));

    // Assess
    expect(state).toMatchObject({ status: 'skipped', reason: 'no audio stream' });
    expect(state.endedAt).toBeDefined();
    expect(transcribe).not.toHaveReceivedAnyCommand();
    expect(stageUpdates(dynamodb)[0]!.record).toMatchObject({
      status: 'skipped',
      facts: { reason: 'no audio stream' },
    });
  });

  it('surfaces a quota error as ServiceThrottledError so the state machine backs off', async () => {
    // Prepare
    transcribe
      .on(StartTranscriptionJobCommand)
      .rejects(new LimitExceededException({ message: 'Too many concurrent jobs.', $metadata: {} }));

    // Act
    const run = handler(sampleEvent('transcribe', 'start.json'), context);

    // Assess
    await expect(run).rejects.toMatchObject({ name: 'ServiceThrottledError' });
    expect(dynamodb).not.toHaveReceivedCommand(UpdateItemCommand);
  });

  it('surfaces a 5xx that outlived the SDK retries as DependencyUnavailableError, which the state machine retries', async () => {
    // Prepare
    transcribe.on(StartTranscriptionJobCommand).rejects(
      Object.assign(new Error('We encountered an internal error.'), {
        name: 'InternalFailureException',
        $fault: 'server',
        $metadata: { httpStatusCode: 500 },
      }),
    );

    // Act
    const run = handler(sampleEvent('transcribe', 'start.json'), context);

    // Assess
    await expect(run).rejects.toMatchObject({ name: 'DependencyUnavailableError' });
  });

  it('rejects an input that breaks the contract as InvalidEventError', async () => {
    // Act
    const run = handler({ action: 'start' }, context);

    // Assess
    await expect(run).rejects.toMatchObject({ name: 'InvalidEventError' });
  });
});

describe('transcribe check', () => {
  const checkEvent = () => sampleEvent('transcribe', 'check.json');

  it.each(['QUEUED', 'IN_PROGRESS'] as const)('keeps polling while the job is %s', async (status) => {
    // Prepare
    transcribe.on(GetTranscriptionJobCommand).resolves({ TranscriptionJob: { TranscriptionJobStatus: status } });

    // Act
    const state = await invoke(checkEvent());

    // Assess
    expect(transcribe).toHaveReceivedCommandWith(GetTranscriptionJobCommand, {
      TranscriptionJobName: `gorggle-${JOB_ID}`,
    });
    expect(state).toMatchObject({ status: 'running', attempts: 3 });
    expect(state.endedAt).toBeUndefined();
  });

  it('succeeds with a reference to the transcript in the processed bucket', async () => {
    // Prepare
    transcribe.on(GetTranscriptionJobCommand).resolves({ TranscriptionJob: { TranscriptionJobStatus: 'COMPLETED' } });

    // Act
    const state = await invoke(checkEvent());

    // Assess
    expect(state).toMatchObject({
      status: 'succeeded',
      output: { bucket: 'gorggle-processed', key: `jobs/${JOB_ID}/transcribe.json` },
    });
    expect(stageUpdates(dynamodb)[0]!.record).toMatchObject({ status: 'succeeded', endedAt: state.endedAt });
  });

  it('fails the branch with Transcribe’s reason and advice when the job FAILED', async () => {
    // Prepare
    const reason = 'The media format provided does not match the detected media format.';
    transcribe
      .on(GetTranscriptionJobCommand)
      .resolves({ TranscriptionJob: { TranscriptionJobStatus: 'FAILED', FailureReason: reason } });

    // Act
    const state: BranchState = await invoke(checkEvent());

    // Assess
    expect(state.status).toBe('failed');
    expect(state.error?.name).toBe('TranscriptionFailedError');
    expect(state.error?.message).toContain(reason);
    expect(state.error?.message).toMatch(/upload it again/);
    expect(stageUpdates(dynamodb)[0]!.record).toMatchObject({ status: 'failed', error: state.error });
  });
});
