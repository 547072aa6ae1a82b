import { NO_MODEL_REASON } from '../src/config';
import { startLipReadingServer, type LipReadingServer } from '../src/server/app';
import { JobFailure, type JobContext, type JobOutcome } from '../src/server/job-queue';
import { silentLogger } from '../src/server/logger';
import { authedFetch, deferred, TEST_SECRET, waitFor } from './support/server-async';
import { parsePrometheusText } from './support/server-prometheus';

/** The HTTP surface, queue limits and metrics, with the pipeline replaced by a runner the test drives. */

const VIDEO = { bucket: 'processed-bucket', key: 'jobs/job-1/video.mp4' };
const ACCESS = { secret: TEST_SECRET, processedBucket: VIDEO.bucket, allowedHosts: [] };
const authed = authedFetch;

function outcome(key = 'jobs/job-1/lipreading.json'): JobOutcome {
  return {
    result: { bucket: VIDEO.bucket, key },
    stats: { frames: 75, downloadMs: 5, preprocessMs: 200, inferenceMs: 100, inferenceMsPerChunk: [100], uploadMs: 5 },
  };
}

interface Harness {
  server: LipReadingServer;
  pending: Array<{ context: JobContext; finish: ReturnType<typeof deferred<JobOutcome>> }>;
}

async function startHarness(
  overrides: { queueCapacity?: number; jobTimeoutMs?: number; noModel?: string } = {},
): Promise<Harness> {
  const pending: Harness['pending'] = [];
  const server = await startLipReadingServer({
    access: ACCESS,
    runner: (context) => {
      const finish = deferred<JobOutcome>();
      pending.push({ context, finish });
      return finish.promise;
    },
    model: overrides.noModel ? { missing: overrides.noModel } : { name: 'test-model', mode: 'vsr', device: 'cpu' },
    port: 0,
    host: '127.0.0.1',
    queueCapacity: overrides.queueCapacity ?? 4,
    concurrency: 1,
    jobTimeoutMs: overrides.jobTimeoutMs ?? 30_000,
    shutdownGraceMs: 1_000,
    idleShutdownMs: 0,
    powerOff: () => Promise.reject(new Error('power-off must not run in this test')),
    log: silentLogger,
  });
  return { server, pending };
}

const post = (server: LipReadingServer, body: unknown, contentType = 'application/json') =>
  authed(`${server.url}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const getJob = async (server: LipReadingServer, id: string) =>
  (await (await authed(`${server.url}/v1/jobs/${id}`)).json()) as Record<string, unknown>;

describe('lip-reading HTTP API', () => {
  let harness: Harness;

  afterEach(async () => {
    for (const { finish } of harness.pending) finish.resolve(outcome());
    await harness.server.shutdown();
  });

  it('accepts a job with 202 and reports it queued, running, then succeeded with its result key', async () => {
    // Prepare
    harness = await startHarness();

    // Act
    const response = await post(harness.server, { video: VIDEO, mode: 'vsr', segments: [{ start: 0, end: 3 }] });
    const { id } = (await response.json()) as { id: string };
    await waitFor(() => harness.pending.length === 1, 5_000, 'the job to start');
    const running = await getJob(harness.server, id);
    harness.pending[0]!.finish.resolve(outcome());
    await waitFor(async () => (await getJob(harness.server, id)).status === 'succeeded', 5_000, 'success');
    const done = await getJob(harness.server, id);

    // Assess
    expect(response.status).toBe(202);
    expect(response.headers.get('location')).toBe(`/v1/jobs/${id}`);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(harness.pending[0]!.context.request).toEqual({
      video: VIDEO,
      mode: 'vsr',
      segments: [{ start: 0, end: 3 }],
    });
    expect(running.status).toBe('running');
    expect(done).toMatchObject({
      id,
      status: 'succeeded',
      result: { bucket: VIDEO.bucket, key: 'jobs/job-1/lipreading.json' },
      timings: { preprocessMs: 200, inferenceMs: 100 },
    });
    expect(done.error).toBeUndefined();
  });

  it.each([
    ['a missing mode', { video: VIDEO }, /mode/],
    ['an unknown mode', { video: VIDEO, mode: 'audio' }, /mode must be 'vsr'/],
    ['no video', { mode: 'vsr' }, /video/],
    ['an empty key', { video: { bucket: 'processed-bucket', key: '' }, mode: 'vsr' }, /video\.key/],
    [
      'a segment ending before it starts',
      { video: VIDEO, mode: 'vsr', segments: [{ start: 3, end: 1 }] },
      /segments\.0/,
    ],
    ['an unknown field', { video: VIDEO, mode: 'vsr', colour: 'blue' }, /colour/],
    ['broken JSON', '{"video":', /not valid JSON/],
  ])('answers 400 with a clear message for %s', async (_what, body, message) => {
    // Prepare
    harness = await startHarness();

    // Act
    const response = await post(harness.server, body);
    const payload = (await response.json()) as { error: string };

    // Assess
    expect(response.status).toBe(400);
    expect(payload.error).toMatch(message);
    expect(harness.server.queue.depth + harness.server.queue.running).toBe(0);
  });

  it('answers 415 for a body that is not JSON', async () => {
    harness = await startHarness();
    const response = await post(harness.server, 'video=x', 'application/x-www-form-urlencoded');
    expect(response.status).toBe(415);
  });

  it('answers 404 for an unknown job id and for a malformed one', async () => {
    harness = await startHarness();
    const unknown = await authed(`${harness.server.url}/v1/jobs/2b1f0a9e-8c1d-4b4e-9f00-000000000000`);
    const malformed = await authed(`${harness.server.url}/v1/jobs/not-a-uuid`);
    const elsewhere = await authed(`${harness.server.url}/v2/anything`);
    expect([unknown.status, malformed.status, elsewhere.status]).toEqual([404, 404, 404]);
    expect(((await unknown.json()) as { error: string }).error).toMatch(/No such job/);
  });

  it('answers 429 with Retry-After while the queue is full, and accepts again once it drains', async () => {
    // Prepare: capacity 1, one job running and one waiting
    harness = await startHarness({ queueCapacity: 1 });
    const first = await post(harness.server, { video: VIDEO, mode: 'vsr' });
    await waitFor(() => harness.pending.length === 1, 5_000, 'the first job to start');
    const second = await post(harness.server, { video: VIDEO, mode: 'vsr' });

    // Act
    const third = await post(harness.server, { video: VIDEO, mode: 'vsr' });
    harness.pending[0]!.finish.resolve(outcome());
    await waitFor(() => harness.pending.length === 2, 5_000, 'the second job to start');
    const fourth = await post(harness.server, { video: VIDEO, mode: 'vsr' });

    // Assess
    expect([first.status, second.status]).toEqual([202, 202]);
    expect(third.status).toBe(429);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await third.json()) as { error: string }).error).toMatch(/queue is full/);
    expect(fourth.status).toBe(202);
  });

  it('fails a job that outlives its timeout with reason timeout and aborts its signal', async () => {
    // Prepare
    harness = await startHarness({ jobTimeoutMs: 150 });

    // Act
    const { id } = (await (await post(harness.server, { video: VIDEO, mode: 'vsr' })).json()) as { id: string };
    await waitFor(async () => (await getJob(harness.server, id)).status === 'failed', 5_000, 'the timeout');
    const job = await getJob(harness.server, id);

    // Assess
    expect(job.error).toEqual({ reason: 'timeout', message: expect.stringMatching(/longer than/) });
    expect(harness.pending[0]!.context.signal.aborted).toBe(true);
  });

  it('reports a JobFailure with its reason and an unexpected error as internal', async () => {
    // Prepare
    harness = await startHarness();
    const a = (await (await post(harness.server, { video: VIDEO, mode: 'vsr' })).json()) as { id: string };
    const b = (await (await post(harness.server, { video: VIDEO, mode: 'vsr' })).json()) as { id: string };

    // Act
    await waitFor(() => harness.pending.length === 1, 5_000, 'job a');
    harness.pending[0]!.finish.reject(new JobFailure('corrupt_video', 'The video cannot be decoded.'));
    await waitFor(() => harness.pending.length === 2, 5_000, 'job b');
    harness.pending[1]!.finish.reject(new TypeError('boom'));
    await waitFor(async () => (await getJob(harness.server, b.id)).status === 'failed', 5_000, 'job b to fail');

    // Assess
    expect((await getJob(harness.server, a.id)).error).toEqual({
      reason: 'corrupt_video',
      message: 'The video cannot be decoded.',
    });
    expect((await getJob(harness.server, b.id)).error).toMatchObject({ reason: 'internal' });
    expect((await authed(`${harness.server.url}/health`)).status).toBe(200);
  });

  it('serves /health with the model, device and queue', async () => {
    harness = await startHarness();
    const health = (await (await authed(`${harness.server.url}/health`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({
      status: 'ok',
      model: { loaded: true, name: 'test-model', mode: 'vsr', device: 'cpu' },
      queue: { depth: 0, capacity: 4, running: 0, accepting: true },
    });
  });

  it('without a model, says so on /health and refuses jobs with a reason that retrying cannot fix', async () => {
    // Prepare
    harness = await startHarness({ noModel: NO_MODEL_REASON });

    // Act
    const health = (await (await authed(`${harness.server.url}/health`)).json()) as Record<string, unknown>;
    const refused = await post(harness.server, { video: VIDEO, mode: 'vsr' });
    const { samples } = parsePrometheusText(await (await authed(`${harness.server.url}/metrics`)).text());

    // Assess
    expect(health).toMatchObject({ status: 'ok', model: null, reason: NO_MODEL_REASON });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBeNull();
    expect(await refused.json()).toEqual({
      code: 'no_model',
      error: `This server has no lip-reading model: ${NO_MODEL_REASON}. Jobs are refused until it is restarted with one.`,
    });
    expect(harness.pending).toEqual([]);
    expect(samples.find((sample) => sample.name === 'gorggle_avhubert_model_loaded')?.value).toBe(0);
  });

  it('serves /metrics as Prometheus text with queue, job, fps and inference series', async () => {
    // Prepare: one success, one failure, one waiting
    harness = await startHarness();
    await post(harness.server, { video: VIDEO, mode: 'vsr' });
    await post(harness.server, { video: VIDEO, mode: 'vsr' });
    await post(harness.server, { video: VIDEO, mode: 'vsr' });
    await waitFor(() => harness.pending.length === 1, 5_000, 'job 1');
    harness.pending[0]!.finish.resolve(outcome());
    await waitFor(() => harness.pending.length === 2, 5_000, 'job 2');
    harness.pending[1]!.finish.reject(new JobFailure('no_frames', 'No video frames.'));
    await waitFor(() => harness.pending.length === 3, 5_000, 'job 3');

    // Act
    const response = await authed(`${harness.server.url}/metrics`);
    const { types, samples } = parsePrometheusText(await response.text());
    const value = (name: string, labels: Record<string, string> = {}) =>
      samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

    // Assess
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(types.get('gorggle_avhubert_queue_depth')).toBe('gauge');
    expect(types.get('gorggle_avhubert_jobs_total')).toBe('counter');
    expect(types.get('gorggle_avhubert_inference_seconds')).toBe('histogram');
    expect(value('gorggle_avhubert_jobs_running')).toBe(1);
    expect(value('gorggle_avhubert_queue_depth')).toBe(0);
    expect(value('gorggle_avhubert_jobs_total', { status: 'succeeded' })).toBe(1);
    expect(value('gorggle_avhubert_jobs_total', { status: 'failed', reason: 'no_frames' })).toBe(1);
    expect(value('gorggle_avhubert_frames_total')).toBe(75);
    expect(value('gorggle_avhubert_last_job_frames_per_second')).toBeGreaterThan(0);
    expect(value('gorggle_avhubert_inference_seconds_count')).toBe(1);
    expect(value('gorggle_avhubert_inference_seconds_bucket', { le: '0.1' })).toBe(1);
    expect(value('gorggle_avhubert_model_loaded', { model: 'test-model' })).toBe(1);
  });

  it.each([
    ['no secret', {}, 401],
    ['a wrong secret', { authorization: 'Bearer not-the-shared-secret-but-just-as-long!!' }, 401],
    ['the secret in another scheme', { authorization: `Basic ${ACCESS.secret}` }, 401],
  ])('refuses a request with %s, on every endpoint', async (_case, headers, status) => {
    // Prepare
    harness = await startHarness();
    const url = harness.server.url;

    // Act
    const answers = await Promise.all([
      fetch(`${url}/v1/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ video: VIDEO, mode: 'vsr' }),
      }),
      fetch(`${url}/health`, { headers }),
      fetch(`${url}/metrics`, { headers }),
      fetch(`${url}/v1/jobs/2b1f0a9e-8c1d-4b4e-9f00-000000000000`, { headers }),
    ]);

    // Assess
    expect(answers.map((answer) => answer.status)).toEqual([status, status, status, status]);
    expect(answers[0]!.headers.get('www-authenticate')).toBe('Bearer');
    expect(harness.pending).toHaveLength(0);
  });

  it.each([
    ['another bucket', { bucket: 'someone-elses-bucket', key: 'jobs/job-1/video.mp4' }, 403, /processed bucket only/],
    ['an upload key', { bucket: VIDEO.bucket, key: 'uploads/clip.mp4' }, 400, /jobs\/<jobId>\/video\.mp4/],
    [
      'a path out of the job folder',
      { bucket: VIDEO.bucket, key: 'jobs/../video.mp4' },
      400,
      /jobs\/<jobId>\/video\.mp4/,
    ],
    [
      'another file of the job',
      { bucket: VIDEO.bucket, key: 'jobs/job-1/audio.wav' },
      400,
      /jobs\/<jobId>\/video\.mp4/,
    ],
  ])('refuses a job that names %s, and runs nothing', async (_case, video, status, message) => {
    // Prepare
    harness = await startHarness();

    // Act
    const response = await post(harness.server, { video, mode: 'vsr' });

    // Assess
    expect(response.status).toBe(status);
    expect(((await response.json()) as { error: string }).error).toMatch(message);
    expect(harness.pending).toHaveLength(0);
  });

  it('reports GPU memory in /metrics when running on CUDA', async () => {
    // Prepare
    const server = await startLipReadingServer({
      access: ACCESS,
      runner: () => Promise.resolve(outcome()),
      model: { name: 'test-model', mode: 'vsr', device: 'cuda' },
      port: 0,
      host: '127.0.0.1',
      queueCapacity: 1,
      concurrency: 1,
      jobTimeoutMs: 1_000,
      shutdownGraceMs: 0,
      idleShutdownMs: 0,
      powerOff: () => Promise.resolve(),
      log: silentLogger,
      deviceInfo: () =>
        Promise.resolve({ cudaAvailable: true, name: 'Tesla T4', memoryTotalBytes: 16e9, memoryAllocatedBytes: 1.5e9 }),
    });
    harness = { server, pending: [] };

    // Act
    const { samples } = parsePrometheusText(await (await authed(`${server.url}/metrics`)).text());

    // Assess
    expect(samples).toContainEqual({
      name: 'gorggle_avhubert_gpu_memory_allocated_bytes',
      labels: { gpu: 'Tesla T4' },
      value: 1.5e9,
    });
    expect(samples).toContainEqual({
      name: 'gorggle_avhubert_gpu_memory_total_bytes',
      labels: { gpu: 'Tesla T4' },
      value: 16e9,
    });
  });

  it('on shutdown answers 503 to new jobs, fails queued jobs with shutdown and lets the running one finish', async () => {
    // Prepare
    harness = await startHarness();
    const running = (await (await post(harness.server, { video: VIDEO, mode: 'vsr' })).json()) as { id: string };
    const queued = (await (await post(harness.server, { video: VIDEO, mode: 'vsr' })).json()) as { id: string };
    await waitFor(() => harness.pending.length === 1, 5_000, 'the first job');

    // Act
    const draining = harness.server.shutdown();
    const refused = await post(harness.server, { video: VIDEO, mode: 'vsr' });
    const queuedView = await getJob(harness.server, queued.id);
    harness.pending[0]!.finish.resolve(outcome());
    await draining;

    // Assess
    expect(refused.status).toBe(503);
    expect(queuedView.error).toMatchObject({ reason: 'shutdown' });
    expect(harness.server.queue.get(running.id)?.status).toBe('succeeded');
  });

  it('fails the running job with shutdown when the grace period runs out', async () => {
    // Prepare
    harness = await startHarness();
    const running = (await (await post(harness.server, { video: VIDEO, mode: 'vsr' })).json()) as { id: string };
    await waitFor(() => harness.pending.length === 1, 5_000, 'the job');

    // Act: the runner never finishes on its own; the grace period is 1 s
    await harness.server.shutdown();

    // Assess
    expect(harness.server.queue.get(running.id)?.error).toMatchObject({ reason: 'shutdown' });
    expect(harness.pending[0]!.context.signal.aborted).toBe(true);
  });
});
