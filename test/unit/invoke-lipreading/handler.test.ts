import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { branchStateSchema, type BranchTaskInput } from '../../../functions/lib/contracts/pipeline';
import { lambdaContext, sampleEvent, setBranchEnv, stageUpdates } from '../branches/support';
import { ScriptedServer } from './scripted-server';

const server = new ScriptedServer();
const port = await server.listen();
const endpoint = `http://127.0.0.1:${port}`;
setBranchEnv({
  AVHUBERT_ENDPOINT: endpoint,
  AVHUBERT_ASG_NAME: '',
  AVHUBERT_SECRET: 'the-local-stack-makes-a-random-one-per-start',
});

// Imported after the environment is set: the logger reads it when the module loads.
const { handler } = await import('../../../functions/invoke-lipreading/handler');

const dynamodb = mockClient(DynamoDBClient);
const context = lambdaContext('gorggle-invoke-lipreading');
const invoke = async (event: unknown) => branchStateSchema.parse(await handler(event, context));

const JOB_ID = 'a3f1c2d4e5b6a7c8d9e0f1a2b3c4d5e6';
const VIDEO = { bucket: 'gorggle-processed', key: `jobs/${JOB_ID}/video.mp4` };
const RESULT = { bucket: 'gorggle-processed', key: `jobs/${JOB_ID}/lipreading.json` };

/** The bodies of the jobs submitted, in order. */
const posted = () => server.requests.filter((request) => request.method === 'POST').map((request) => request.body);

/** The sample check event, pointed at this test's server. */
function checkEvent(): BranchTaskInput {
  const event = sampleEvent('invoke-lipreading', 'check.json');
  if (event.action !== 'check') throw new Error('check.json must be a check');
  return { ...event, state: { ...event.state, facts: { ...event.state.facts, endpoint } } };
}

beforeEach(() => {
  server.reset();
  dynamodb.reset();
  dynamodb.on(UpdateItemCommand).resolves({});
});

afterAll(() => server.close());

describe('invoke-lipreading start (fixed endpoint)', () => {
  it('throws LipReadingUnavailableError on 429, then submits on the retry', async () => {
    // Prepare
    server.reply(
      'POST /v1/jobs',
      { status: 429, body: { error: 'queue full' }, headers: { 'retry-after': '5' } },
      { status: 202, body: { id: 'lr-7f3c9a' } },
    );
    const event = sampleEvent('invoke-lipreading', 'start.json');

    // Act
    const first = handler(event, context);
    await expect(first).rejects.toMatchObject({
      name: 'LipReadingUnavailableError',
      message: expect.stringMatching(/429.*5 s/),
    });
    const second = await invoke(event);

    // Assess
    expect(posted()).toEqual([
      { video: VIDEO, mode: 'avsr' },
      { video: VIDEO, mode: 'avsr' },
    ]);
    expect(second).toMatchObject({
      modality: 'lipreading',
      status: 'running',
      handle: 'lr-7f3c9a',
      attempts: 0,
      facts: { mode: 'avsr', endpoint, warmupSeconds: 0 },
    });
    expect(stageUpdates(dynamodb)).toEqual([
      {
        jobId: JOB_ID,
        stage: 'lipreading',
        record: { status: 'running', startedAt: second.startedAt, facts: second.facts },
      },
    ]);
  });

  it('asks for visual-only recognition when the video has no audio', async () => {
    // Prepare
    server.reply('POST /v1/jobs', { status: 202, body: { id: 'lr-vsr' } });

    // Act
    await invoke(sampleEvent('invoke-lipreading', 'start-no-audio.json'));

    // Assess
    expect(posted()).toEqual([expect.objectContaining({ mode: 'vsr' })]);
  });

  it('skips lip reading at once, without retries or a job, when the server has no model', async () => {
    // Prepare
    const reason = 'no lip-reading model configured (set GORGGLE_MODEL_DIR)';
    server.reply('GET /health', { status: 200, body: { status: 'ok', model: null, reason } });

    // Act
    const state = await invoke(sampleEvent('invoke-lipreading', 'start.json'));

    // Assess
    expect(state).toMatchObject({ modality: 'lipreading', status: 'skipped', reason });
    expect(server.requests.map(({ method, url }) => `${method} ${url}`)).toEqual(['GET /health']);
    expect(stageUpdates(dynamodb).map(({ record }) => record)).toEqual([
      expect.objectContaining({ status: 'skipped', facts: { reason } }),
    ]);
  });

  it('skips an upload without video and sends nothing', async () => {
    // Act
    const state = await invoke(sampleEvent('face-detect', 'start-no-video.json'));

    // Assess
    expect(state).toMatchObject({ status: 'skipped', reason: 'no video stream' });
    expect(server.requests).toHaveLength(0);
  });

  it('fails the branch (no retry) when the server rejects the request with a 4xx', async () => {
    // Prepare
    server.reply('POST /v1/jobs', { status: 400, body: { error: 'video.key must end in .mp4' } });

    // Act
    const state = await invoke(sampleEvent('invoke-lipreading', 'start.json'));

    // Assess
    expect(state.status).toBe('failed');
    expect(state.error).toEqual({
      name: 'LipReadingFailedError',
      message: expect.stringContaining('video.key must end in .mp4'),
    });
  });
});

describe('invoke-lipreading check', () => {
  it.each(['queued', 'running'])('keeps polling while the job is %s', async (status) => {
    // Prepare
    server.reply('GET /v1/jobs/lr-7f3c9a', { status: 200, body: { id: 'lr-7f3c9a', status } });

    // Act
    const state = await invoke(checkEvent());

    // Assess
    expect(state).toMatchObject({ status: 'running', handle: 'lr-7f3c9a', attempts: 2 });
  });

  it('succeeds with the result the server wrote', async () => {
    // Prepare
    server.reply('GET /v1/jobs/lr-7f3c9a', {
      status: 200,
      body: { id: 'lr-7f3c9a', status: 'succeeded', result: RESULT },
    });

    // Act
    const state = await invoke(checkEvent());

    // Assess
    expect(state).toMatchObject({ status: 'succeeded', output: RESULT });
    expect(stageUpdates(dynamodb)[0]!.record).toMatchObject({ status: 'succeeded', endedAt: state.endedAt });
  });

  it('fails the branch with the server’s reason', async () => {
    // Prepare
    server.reply('GET /v1/jobs/lr-7f3c9a', {
      status: 200,
      body: { id: 'lr-7f3c9a', status: 'failed', error: 'no face found in any frame' },
    });

    // Act
    const state = await invoke(checkEvent());

    // Assess
    expect(state.status).toBe('failed');
    expect(state.error).toEqual({
      name: 'LipReadingFailedError',
      message: expect.stringContaining('no face found in any frame'),
    });
  });

  it('retries (throws LipReadingUnavailableError) while the server answers 503', async () => {
    // Prepare
    server.reply('GET /v1/jobs/lr-7f3c9a', { status: 503, body: { error: 'loading model' } });

    // Act
    const run = handler(checkEvent(), context);

    // Assess
    await expect(run).rejects.toMatchObject({ name: 'LipReadingUnavailableError' });
    expect(dynamodb).not.toHaveReceivedCommand(UpdateItemCommand);
  });
});
