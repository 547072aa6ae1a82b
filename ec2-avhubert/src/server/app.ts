import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequestHandler, type ServerAccess } from './http';
import { IdleShutdown } from './idle-shutdown';
import { JobQueue, type JobOutcome, type JobRunner, type JobView } from './job-queue';
import type { Logger } from './logger';
import { Counter, Gauge, Histogram, Registry } from './metrics';

/** What the server reports about its model; the addon's DeviceInfo fits it. */
export interface ModelFacts {
  name: string;
  mode: 'vsr' | 'avsr';
  device: string;
}

export interface DeviceMemory {
  cudaAvailable: boolean;
  name: string;
  memoryTotalBytes?: number;
  memoryAllocatedBytes?: number;
}

/** No model package is configured: why, as /health and refused jobs say it. */
export interface NoModel {
  missing: string;
}

export interface LipReadingServerOptions {
  access: ServerAccess;
  runner: JobRunner;
  model: ModelFacts | NoModel;
  port: number;
  host: string;
  queueCapacity: number;
  concurrency: number;
  jobTimeoutMs: number;
  shutdownGraceMs: number;
  idleShutdownMs: number;
  powerOff: () => Promise<void>;
  log: Logger;
  deviceInfo?: () => Promise<DeviceMemory>;
}

export interface LipReadingServer {
  readonly url: string;
  readonly port: number;
  readonly queue: JobQueue;
  readonly idle: IdleShutdown;
  /** SIGTERM: 503 for new jobs, queued jobs fail with 'shutdown', the running one gets the grace period. */
  shutdown(): Promise<void>;
}

const MS_PER_S = 1000;

function createServerMetrics() {
  const registry = new Registry();
  return {
    registry,
    queueDepth: registry.register(new Gauge('gorggle_avhubert_queue_depth', 'Jobs waiting to start.')),
    running: registry.register(new Gauge('gorggle_avhubert_jobs_running', 'Jobs running now.')),
    jobs: registry.register(new Counter('gorggle_avhubert_jobs_total', 'Jobs that ended, by status and reason.')),
    rejected: registry.register(
      new Counter('gorggle_avhubert_jobs_rejected_total', 'Job submissions turned away, by reason.'),
    ),
    frames: registry.register(new Counter('gorggle_avhubert_frames_total', 'Video frames lip-read.')),
    processingSeconds: registry.register(
      new Counter('gorggle_avhubert_processing_seconds_total', 'Wall seconds spent running jobs that succeeded.'),
    ),
    lastFps: registry.register(
      new Gauge(
        'gorggle_avhubert_last_job_frames_per_second',
        'Frames per wall second of the last job that succeeded.',
      ),
    ),
    inference: registry.register(
      new Histogram(
        'gorggle_avhubert_inference_seconds',
        'Model time per chunk (encoder and beam search).',
        [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      ),
    ),
    preprocess: registry.register(
      new Histogram(
        'gorggle_avhubert_preprocess_seconds',
        'Preprocessing time per job (decode, landmarks, crops).',
        [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      ),
    ),
    modelLoaded: registry.register(new Gauge('gorggle_avhubert_model_loaded', 'The model is loaded (1).')),
    gpuTotal: registry.register(new Gauge('gorggle_avhubert_gpu_memory_total_bytes', 'GPU memory in total.')),
    gpuAllocated: registry.register(
      new Gauge('gorggle_avhubert_gpu_memory_allocated_bytes', 'GPU memory libtorch has allocated.'),
    ),
  };
}

export async function startLipReadingServer(options: LipReadingServerOptions): Promise<LipReadingServer> {
  const { log } = options;
  const metrics = createServerMetrics();
  const model = 'missing' in options.model ? undefined : options.model;
  const noModel = 'missing' in options.model ? options.model.missing : undefined;
  if (model) metrics.modelLoaded.set(1, { model: model.name, mode: model.mode, device: model.device });
  else metrics.modelLoaded.set(0);
  const startedAt = Date.now();

  const idle = new IdleShutdown({ idleMs: options.idleShutdownMs, powerOff: options.powerOff, log });

  const onFinished = (job: JobView, outcome: JobOutcome | undefined) => {
    metrics.jobs.inc({ status: job.status, reason: job.error?.reason ?? job.reason ?? '' });
    if (!outcome || job.status !== 'succeeded') return;
    const { stats } = outcome;
    const seconds = (job.timings.runMs ?? 0) / MS_PER_S;
    metrics.frames.inc({}, stats.frames);
    metrics.processingSeconds.inc({}, seconds);
    if (seconds > 0 && stats.frames > 0) metrics.lastFps.set(stats.frames / seconds);
    metrics.preprocess.observe(stats.preprocessMs / MS_PER_S);
    for (const ms of stats.inferenceMsPerChunk) metrics.inference.observe(ms / MS_PER_S);
  };

  const queue = new JobQueue({
    runner: options.runner,
    capacity: options.queueCapacity,
    concurrency: options.concurrency,
    timeoutMs: options.jobTimeoutMs,
    log,
    onFinished,
    onActivity: (busy) => (busy ? idle.busy() : idle.idle()),
  });

  const health = async () => ({
    status: queue.isAccepting ? 'ok' : 'shutting_down',
    // The pipeline reads `model: null` as "lip reading is not configured" and skips it.
    ...(model ? { model: { loaded: true, ...model } } : { model: null, reason: noModel }),
    device: options.deviceInfo ? await options.deviceInfo().catch(() => undefined) : undefined,
    queue: { depth: queue.depth, capacity: queue.capacity, running: queue.running, accepting: queue.isAccepting },
    idleShutdown: { enabled: idle.enabled, minutes: options.idleShutdownMs / 60_000, armed: idle.armed },
    uptimeSeconds: Math.round((Date.now() - startedAt) / MS_PER_S),
  });

  const renderMetrics = async () => {
    metrics.queueDepth.set(queue.depth);
    metrics.running.set(queue.running);
    const device = options.deviceInfo ? await options.deviceInfo().catch(() => undefined) : undefined;
    if (device?.cudaAvailable && model?.device.startsWith('cuda')) {
      const labels = { gpu: device.name };
      if (device.memoryTotalBytes !== undefined) metrics.gpuTotal.set(device.memoryTotalBytes, labels);
      if (device.memoryAllocatedBytes !== undefined) metrics.gpuAllocated.set(device.memoryAllocatedBytes, labels);
    }
    return metrics.registry.render();
  };

  const handler = createRequestHandler({ access: options.access, queue, health, metrics: renderMetrics, log, noModel });
  const server: Server = createServer((request, response) => {
    response.on('finish', () => {
      if (request.method !== 'POST') return;
      if (response.statusCode === 429) metrics.rejected.inc({ reason: 'queue_full' });
      if (response.statusCode === 503) metrics.rejected.inc({ reason: noModel ? 'no_model' : 'shutting_down' });
      if (response.statusCode === 400) metrics.rejected.inc({ reason: 'invalid_request' });
      if (response.statusCode === 401 || response.statusCode === 403) metrics.rejected.inc({ reason: 'forbidden' });
    });
    handler(request, response);
  });
  server.keepAliveTimeout = 65_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  log.info('lip-reading server listening', {
    port,
    host: options.host,
    model: model ?? { missing: noModel },
    queueCapacity: options.queueCapacity,
    concurrency: options.concurrency,
  });
  idle.idle();

  let shuttingDown: Promise<void> | undefined;
  const shutdown = () =>
    (shuttingDown ??= (async () => {
      log.info('shutting down: no new jobs', { running: queue.running, queued: queue.depth });
      idle.stop();
      await queue.shutdown(options.shutdownGraceMs);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      log.info('shut down');
    })());

  return { url: `http://${host}:${port}`, port, queue, idle, shutdown };
}
