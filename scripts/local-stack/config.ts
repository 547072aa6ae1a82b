/**
 * The local stack's settings: one typed object with defaults that work on a fresh clone.
 * Names follow the Terraform module (name_prefix, account, region) so ARNs and bucket
 * names look like a deployment's.
 */
import path from 'node:path';
import * as z from 'zod';
import { REPO_ROOT } from '../build/functions';

export const COMPONENTS = ['s3', 'dynamodb', 'sfn', 'transcribe', 'rekognition', 'avhubert', 'ssm'] as const;
export type Component = (typeof COMPONENTS)[number];

/** Fixed ports for `make local`, so the CLI and a browser find the stack; tests use 'random'. */
export const DEFAULT_PORTS: Readonly<Record<Component, number>> = {
  s3: 4568,
  dynamodb: 4567,
  sfn: 8083,
  transcribe: 4570,
  rekognition: 4571,
  avhubert: 4572,
  ssm: 4573,
};

const port = z.number().int().min(0).max(65535);

export const localStackOptionsSchema = z.object({
  host: z.string().default('127.0.0.1'),
  /** 'random' lets the OS pick free ports (0); a partial map overrides the defaults. */
  ports: z
    .union([z.literal('random'), z.partialRecord(z.enum(COMPONENTS), port)])
    .default({})
    .transform((ports): Record<Component, number> =>
      ports === 'random'
        ? { s3: 0, dynamodb: 0, sfn: 0, transcribe: 0, rekognition: 0, avhubert: 0, ssm: 0 }
        : { ...DEFAULT_PORTS, ...ports },
    ),
  /** Everything the stack writes: S3 objects, DynamoDB, executions, logs, unpacked Lambdas. */
  dataDir: z.string().default(path.join(REPO_ROOT, '.gorggle')),
  /** Where `make build` leaves the Lambda zips. */
  functionsDir: z.string().default(path.join(REPO_ROOT, 'dist', 'functions')),
  terraformDir: z.string().default(path.join(REPO_ROOT, 'terraform')),
  namePrefix: z.string().default('gorggle'),
  region: z.string().default('us-east-1'),
  accountId: z
    .string()
    .regex(/^\d{12}$/)
    .default('000000000000'),
  /**
   * Wait states last at most this long locally instead of their Seconds/SecondsPath: a polling
   * loop waits firstWaitMs first, then a tenth of the time it has polled, up to this.
   */
  waitMs: z.number().int().nonnegative().default(5000),
  /** How long a Lambda execution environment stays warm for its next invocation; 0: a new one each time. */
  lambdaWarmMs: z.number().int().nonnegative().default(60_000),
  /** A polling loop's first Wait locally (at most waitMs). */
  firstWaitMs: z.number().int().nonnegative().default(200),
  /** Retry intervals are multiplied by this (JitterStrategy FULL still applies on AWS only). */
  retryIntervalScale: z.number().nonnegative().default(0.1),
  /** POLL_INTERVAL_SECONDS given to the branch functions. */
  pollIntervalSeconds: z.number().int().positive().default(1),
  /** The state machine's TimeoutSeconds (var.execution_timeout_seconds); tests shorten it to see executions time out. */
  executionTimeoutSeconds: z.number().int().positive().optional(),
  uploadEvents: z
    .object({
      batchSize: z.number().int().min(1).max(10).default(10),
      /** Like maximum_batching_window_in_seconds, shortened for local runs. */
      batchWindowMs: z.number().int().nonnegative().default(200),
      /** How long a failed message stays invisible before it is delivered again. */
      visibilityTimeoutMs: z.number().int().nonnegative().default(1000),
      /** Like the redrive policy's maxReceiveCount: then the message goes to the dead-letter file. */
      maxReceiveCount: z.number().int().min(1).default(5),
    })
    .default({ batchSize: 10, batchWindowMs: 200, visibilityTimeoutMs: 1000, maxReceiveCount: 5 }),
  /** Optional parts; each is skipped with a log line when its code is not there. */
  transcribe: z.boolean().default(true),
  rekognition: z.boolean().default(true),
  avhubert: z.boolean().default(true),
  /**
   * The lip-reading model package; GORGGLE_MODEL_DIR wins. Without one the server runs with no
   * model, and lip reading is skipped with that reason: a stand-in never reads lips by default.
   */
  modelDir: z.string().optional(),
  /**
   * A plumbing check only: serve the generated test model (two memorised GRID sentences) when
   * no model package is given. Its words are labelled as such and kept out of the captions.
   */
  lipReadingTestModel: z.boolean().default(false),
  /** Echo component log lines on the console as well as in their files. */
  echoLogs: z.boolean().default(false),
  /**
   * Extra environment for some functions, over what Terraform sets (optional keys of their
   * config schema), e.g. the Bot API root and admin ids the local bot uses.
   */
  functionEnvironment: z.record(z.string(), z.record(z.string(), z.string())).default({}),
  /** First delay of EventBridge's retries of a failed target locally. */
  eventRetryBaseMs: z.number().int().nonnegative().default(500),
});

export type LocalStackOptions = z.input<typeof localStackOptionsSchema>;
export type LocalStackConfig = z.output<typeof localStackOptionsSchema>;

export function resolveConfig(options: LocalStackOptions = {}): LocalStackConfig {
  const parsed = localStackOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new Error(`Invalid local stack options: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

/** The names and ARNs Terraform would give these resources, with local account and region. */
export function resourceNames(config: Pick<LocalStackConfig, 'namePrefix' | 'region' | 'accountId'>) {
  const { namePrefix, region, accountId } = config;
  const bucketSuffix = `${accountId}-${region}`;
  const stateMachineName = `${namePrefix}-pipeline`;
  return {
    uploadsBucket: `${namePrefix}-uploads-${bucketSuffix}`,
    processedBucket: `${namePrefix}-processed-${bucketSuffix}`,
    artifactsBucket: `${namePrefix}-artifacts-${bucketSuffix}`,
    jobsTable: `${namePrefix}-jobs`,
    stateMachineName,
    stateMachineArn: `arn:aws:states:${region}:${accountId}:stateMachine:${stateMachineName}`,
    stateMachineRoleArn: `arn:aws:iam::${accountId}:role/${stateMachineName}`,
    uploadEventsQueueArn: `arn:aws:sqs:${region}:${accountId}:${namePrefix}-upload-events`,
    functionName: (fn: string) => `${namePrefix}-${fn}`,
    functionArn: (fn: string) => `arn:aws:lambda:${region}:${accountId}:function:${namePrefix}-${fn}`,
  };
}
export type ResourceNames = ReturnType<typeof resourceNames>;

/**
 * Fake credentials for every local service: s3rver only knows the key pair S3RVER/S3RVER
 * (and checks signatures with it); the other services take any.
 */
export const LOCAL_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' } as const;
