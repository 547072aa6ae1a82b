import os from 'node:os';
import * as z from 'zod';

/**
 * The server's configuration, from the environment (systemd reads it from
 * /etc/gorggle/avhubert.env). Every key has a default that works for a local CPU run.
 */

const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const int = (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback);

export const serverEnvSchema = z.object({
  GORGGLE_AVHUBERT_PORT: int(8080, 0).pipe(z.number().max(65535)),
  /** Loopback unless configured: on EC2 the user data sets 0.0.0.0 for the Lambda's VPC address. */
  GORGGLE_AVHUBERT_HOST: z.string().min(1).default('127.0.0.1'),
  /** The only bucket jobs may name: the pipeline's processed bucket. */
  GORGGLE_PROCESSED_BUCKET: z.string().min(3).optional(),
  /** The shared secret itself (the local stack), or the SSM SecureString parameter holding it (EC2). */
  GORGGLE_AVHUBERT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  GORGGLE_AVHUBERT_SECRET_PARAMETER: z
    .string()
    .regex(/^\/[\w./-]+$/, 'must be an SSM parameter name such as /gorggle/avhubert/secret')
    .optional(),
  /** Host headers answered (e.g. 127.0.0.1:4572,localhost:4572); empty: any. */
  GORGGLE_AVHUBERT_ALLOWED_HOSTS: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((host) => host.trim().toLowerCase())
        .filter(Boolean),
    ),
  /** The model package folder (manifest.json, encoder.pt, decoder_step.pt, vocab.txt). */
  GORGGLE_MODEL_DIR: z.string().min(1).optional(),
  MODEL_DIR: z.string().min(1).optional(),
  GORGGLE_DEVICE: z.enum(['cpu', 'cuda']).default('cpu'),
  /** Jobs waiting behind the running ones; beyond this POST answers 429. */
  GORGGLE_QUEUE_CAPACITY: int(16, 1),
  /** Jobs run at once: 1 on one GPU, so they never fight for its memory. */
  GORGGLE_CONCURRENCY: int(1, 1),
  /** A job's time budget: this base plus GORGGLE_JOB_TIMEOUT_SECONDS_PER_VIDEO_SECOND per second of video. */
  GORGGLE_JOB_TIMEOUT_SECONDS: int(300, 1),
  GORGGLE_JOB_TIMEOUT_SECONDS_PER_VIDEO_SECOND: z.coerce.number().min(0).default(10),
  /** Device memory one decode batch may take (caches and cross-attention keys/values at their largest). */
  GORGGLE_DECODE_MEMORY_MB: int(2048, 16),
  /** Chunks (of one job or several) decoded side by side at most. */
  GORGGLE_DECODE_BATCH_CHUNKS: int(8, 1),
  /** Model precision; default float16 on CUDA, float32 on the CPU (whose libtorch has no float16 kernels). */
  GORGGLE_DTYPE: z.enum(['float32', 'float16', 'bfloat16']).optional(),
  /** Face landmarks: dlib (the 68-point model AV-HuBERT's crops were made with) or face-api. */
  GORGGLE_LANDMARKS: z.enum(['dlib', 'face-api']).default('dlib'),
  /** Seconds SIGTERM waits for the job in flight before failing it. */
  GORGGLE_SHUTDOWN_GRACE_SECONDS: int(60, 0),
  /** Minutes with nothing queued or running before the instance powers off; 0 never. */
  GORGGLE_IDLE_SHUTDOWN_MINUTES: z.coerce.number().min(0).default(15),
  /** Allowed for the service user by the polkit rule that setup/ installs (sudo is blocked by NoNewPrivileges). */
  GORGGLE_POWEROFF_COMMAND: z.string().min(1).default('/usr/bin/systemctl --no-ask-password poweroff'),
  /** s3://bucket/prefix/ the setup script syncs the model package from. */
  GORGGLE_MODEL_S3_URI: z
    .string()
    .regex(/^s3:\/\/[^/]+(\/.*)?$/, 'must look like s3://bucket/prefix/')
    .optional(),
  GORGGLE_TMP_DIR: z.string().min(1).default(os.tmpdir()),
  GORGGLE_LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
});

export interface ServerConfig {
  port: number;
  host: string;
  processedBucket: string;
  /** Where the shared secret every request must carry comes from. */
  secret: { value: string } | { parameter: string };
  allowedHosts: string[];
  /** Unset: the server runs without a model, says so on /health and refuses jobs. */
  modelDir?: string;
  device: 'cpu' | 'cuda';
  queueCapacity: number;
  concurrency: number;
  /** Time budget: jobTimeoutMs + jobTimeoutMsPerVideoSecond x the video's seconds. */
  jobTimeoutMs: number;
  jobTimeoutMsPerVideoSecond: number;
  decodeMemoryBytes: number;
  decodeBatchChunks: number;
  dtype: 'float32' | 'float16' | 'bfloat16';
  landmarks: 'dlib' | 'face-api';
  shutdownGraceMs: number;
  /** 0 disables the idle power-off. */
  idleShutdownMs: number;
  powerOffCommand: string;
  modelS3Uri?: string;
  tmpDir: string;
  logLevel: LogLevel;
}

/** What /health and refused jobs say when GORGGLE_MODEL_DIR names no model (the pipeline then skips lip reading). */
export const NO_MODEL_REASON = 'no lip-reading model configured (set GORGGLE_MODEL_DIR)';

export class ServerConfigError extends Error {
  override readonly name = 'ServerConfigError';
}

/** Parses the environment; names every bad key and how to fix it. */
export function loadServerConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const parsed = serverEnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new ServerConfigError(
      `Invalid lip-reading server configuration (${problems}). Fix /etc/gorggle/avhubert.env.`,
    );
  }
  const e = parsed.data;
  const modelDir = e.GORGGLE_MODEL_DIR ?? e.MODEL_DIR;
  if (!e.GORGGLE_PROCESSED_BUCKET) {
    throw new ServerConfigError(
      "GORGGLE_PROCESSED_BUCKET is not set. Name the pipeline's processed bucket: the server reads and writes no other.",
    );
  }
  if (!e.GORGGLE_AVHUBERT_SECRET === !e.GORGGLE_AVHUBERT_SECRET_PARAMETER) {
    throw new ServerConfigError(
      'Set exactly one of GORGGLE_AVHUBERT_SECRET_PARAMETER (the SSM parameter Terraform creates) and GORGGLE_AVHUBERT_SECRET (a local secret of 32 or more characters): every request must carry it.',
    );
  }
  return {
    port: e.GORGGLE_AVHUBERT_PORT,
    host: e.GORGGLE_AVHUBERT_HOST,
    processedBucket: e.GORGGLE_PROCESSED_BUCKET,
    secret: e.GORGGLE_AVHUBERT_SECRET
      ? { value: e.GORGGLE_AVHUBERT_SECRET }
      : { parameter: e.GORGGLE_AVHUBERT_SECRET_PARAMETER ?? '' },
    allowedHosts: e.GORGGLE_AVHUBERT_ALLOWED_HOSTS,
    ...(modelDir ? { modelDir } : {}),
    device: e.GORGGLE_DEVICE,
    queueCapacity: e.GORGGLE_QUEUE_CAPACITY,
    concurrency: e.GORGGLE_CONCURRENCY,
    jobTimeoutMs: e.GORGGLE_JOB_TIMEOUT_SECONDS * 1000,
    jobTimeoutMsPerVideoSecond: e.GORGGLE_JOB_TIMEOUT_SECONDS_PER_VIDEO_SECOND * 1000,
    decodeMemoryBytes: e.GORGGLE_DECODE_MEMORY_MB * 2 ** 20,
    decodeBatchChunks: e.GORGGLE_DECODE_BATCH_CHUNKS,
    dtype: e.GORGGLE_DTYPE ?? (e.GORGGLE_DEVICE === 'cuda' ? 'float16' : 'float32'),
    landmarks: e.GORGGLE_LANDMARKS,
    shutdownGraceMs: e.GORGGLE_SHUTDOWN_GRACE_SECONDS * 1000,
    idleShutdownMs: Math.round(e.GORGGLE_IDLE_SHUTDOWN_MINUTES * 60_000),
    powerOffCommand: e.GORGGLE_POWEROFF_COMMAND,
    modelS3Uri: e.GORGGLE_MODEL_S3_URI,
    tmpDir: e.GORGGLE_TMP_DIR,
    logLevel: e.GORGGLE_LOG_LEVEL,
  };
}
