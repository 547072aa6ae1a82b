/**
 * Where the CLI sends its requests: the local stack (endpoints from its lock file) by
 * default, or a Terraform deployment on AWS when given --profile or --region.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import * as z from 'zod';
import { REPO_ROOT } from '../build/functions';
import { LOCAL_CREDENTIALS, resolveConfig, resourceNames } from '../local-stack/config';
import { isProcessAlive, readStackLock } from '../local-stack/lock';
import type { LocalStack } from '../local-stack/stack';

/** The stack writes this file under its data folder (scripts/local-stack/stack.ts). */
export const LOCK_FILE_NAME = 'local-stack.lock';
export const DEFAULT_DATA_DIR = path.join(REPO_ROOT, '.gorggle');
export const DEFAULT_TERRAFORM_DIR = path.join(REPO_ROOT, 'terraform');

export interface GorggleTarget {
  kind: 'local' | 'aws';
  /** One line for people: which stack or deployment this is. */
  description: string;
  region: string;
  uploadsBucket: string;
  processedBucket: string;
  jobsTable: string;
  stateMachineArn: string;
  /** Local only: the service endpoints. */
  endpoints?: { s3: string; dynamodb: string; sfn: string };
  /** AWS only: the shared-config profile to sign with. */
  profile?: string;
  /** Local only: where the stack keeps its files (logs, S3 objects). */
  dataDir?: string;
}

export class TargetUnavailableError extends Error {
  override readonly name = 'TargetUnavailableError';
}

const endpointsSchema = z.object({ s3: z.url(), dynamodb: z.url(), sfn: z.url() });

/** The running local stack, from the lock file it writes once it listens. */
export function localTarget(dataDir = DEFAULT_DATA_DIR): GorggleTarget {
  const lockFile = path.join(dataDir, LOCK_FILE_NAME);
  const lock = readStackLock(lockFile);
  if (!lock || !isProcessAlive(lock.pid)) {
    throw new TargetUnavailableError(
      `No local stack is running (no live ${lockFile}). Start one with \`make local\` in another terminal, ` +
        'or pass --profile/--region to use a deployment on AWS.',
    );
  }
  const endpoints = endpointsSchema.safeParse(lock.endpoints ?? {});
  if (!endpoints.success) {
    throw new TargetUnavailableError(
      `The local stack (pid ${lock.pid}) is still starting: ${lockFile} lists no endpoints yet. Try again in a few seconds.`,
    );
  }
  const config = resolveConfig({ dataDir });
  const names = resourceNames(config);
  return {
    kind: 'local',
    description: `local stack (pid ${lock.pid}, S3 at ${endpoints.data.s3})`,
    region: config.region,
    uploadsBucket: names.uploadsBucket,
    processedBucket: names.processedBucket,
    jobsTable: names.jobsTable,
    stateMachineArn: names.stateMachineArn,
    endpoints: endpoints.data,
    dataDir,
  };
}

/** `terraform output -json`: each output is {value, type, sensitive}. */
const terraformOutputsSchema = z.object({
  uploads_bucket_name: z.object({ value: z.string() }),
  processed_bucket_name: z.object({ value: z.string() }),
  jobs_table_name: z.object({ value: z.string() }),
  state_machine_arn: z.object({ value: z.string() }),
});

export function targetFromTerraformOutputs(
  outputsJson: string,
  options: { region?: string; profile?: string },
): GorggleTarget {
  let raw: unknown;
  try {
    raw = JSON.parse(outputsJson);
  } catch {
    throw new TargetUnavailableError('The Terraform outputs are not JSON; `terraform output -json` prints them.');
  }
  const parsed = terraformOutputsSchema.safeParse(raw);
  if (!parsed.success) {
    throw new TargetUnavailableError(
      'The Terraform outputs lack uploads_bucket_name, processed_bucket_name, jobs_table_name or state_machine_arn; ' +
        'run `terraform apply` in terraform/ first.',
    );
  }
  const outputs = parsed.data;
  // The state machine's ARN names the region it was deployed to.
  const region = options.region ?? outputs.state_machine_arn.value.split(':')[3];
  if (!region) throw new TargetUnavailableError('Pass --region: the Terraform outputs do not say which region.');
  return {
    kind: 'aws',
    description: `AWS ${region}${options.profile ? ` (profile ${options.profile})` : ''}`,
    region,
    uploadsBucket: outputs.uploads_bucket_name.value,
    processedBucket: outputs.processed_bucket_name.value,
    jobsTable: outputs.jobs_table_name.value,
    stateMachineArn: outputs.state_machine_arn.value,
    ...(options.profile ? { profile: options.profile } : {}),
  };
}

/** A deployment: the outputs from a saved file, else from `terraform output -json` in terraformDir. */
export function awsTarget(options: {
  region?: string;
  profile?: string;
  terraformDir?: string;
  outputsFile?: string;
}): GorggleTarget {
  let outputsJson: string;
  if (options.outputsFile) {
    outputsJson = readFileSync(options.outputsFile, 'utf8');
  } else {
    const dir = options.terraformDir ?? DEFAULT_TERRAFORM_DIR;
    try {
      outputsJson = execFileSync('terraform', [`-chdir=${dir}`, 'output', '-json'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, ...(options.profile ? { AWS_PROFILE: options.profile } : {}) },
      });
    } catch (error) {
      throw new TargetUnavailableError(
        `Could not read the Terraform outputs in ${dir} (${(error as Error).message.split('\n')[0]}). ` +
          'Install terraform and run `terraform apply` there, or pass --outputs with a saved `terraform output -json`.',
      );
    }
  }
  return targetFromTerraformOutputs(outputsJson, options);
}

export interface TargetClients {
  s3: S3Client;
  dynamodb: DynamoDBClient;
  sfn: SFNClient;
  destroy(): void;
}

export function createClients(target: GorggleTarget): TargetClients {
  const common =
    target.kind === 'local'
      ? {
          region: target.region,
          credentials: {
            accessKeyId: LOCAL_CREDENTIALS.AWS_ACCESS_KEY_ID,
            secretAccessKey: LOCAL_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
          },
        }
      : { region: target.region, ...(target.profile ? { profile: target.profile } : {}) };
  const s3 = new S3Client({
    ...common,
    ...(target.endpoints ? { endpoint: target.endpoints.s3, forcePathStyle: true } : {}),
    // Emulators corrupt streamed uploads with flexible checksums (DESIGN §3).
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const dynamodb = new DynamoDBClient({
    ...common,
    ...(target.endpoints ? { endpoint: target.endpoints.dynamodb } : {}),
  });
  const sfn = new SFNClient({ ...common, ...(target.endpoints ? { endpoint: target.endpoints.sfn } : {}) });
  return {
    s3,
    dynamodb,
    sfn,
    destroy() {
      s3.destroy();
      dynamodb.destroy();
      sfn.destroy();
    },
  };
}

/** A stack started in this process (make local, tests, benchmarks). */
export function targetForStack(stack: Pick<LocalStack, 'endpoints' | 'names' | 'config'>): GorggleTarget {
  const { endpoints, names, config } = stack;
  return {
    kind: 'local',
    description: `local stack (S3 at ${endpoints.s3})`,
    region: config.region,
    uploadsBucket: names.uploadsBucket,
    processedBucket: names.processedBucket,
    jobsTable: names.jobsTable,
    stateMachineArn: names.stateMachineArn,
    endpoints: { s3: endpoints.s3, dynamodb: endpoints.dynamodb, sfn: endpoints.sfn },
    dataDir: config.dataDir,
  };
}
