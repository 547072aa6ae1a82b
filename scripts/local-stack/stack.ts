/**
 * Starts the whole local stack on 127.0.0.1 — S3, DynamoDB, Step Functions, the Lambda
 * runner, the Transcribe and Rekognition emulators and the lip-reading server — and stops it
 * again. `await startLocalStack({ ports: 'random' })` gives endpoints and `stop()`.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { SQSBatchResponse } from 'aws-lambda';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { renderStateMachine } from '../render-statemachine';
import {
  avhubertUnavailableReason,
  chooseLipReadingModel,
  startAvhubert,
  type LipReadingModelChoice,
  type RunningAvhubert,
} from './avhubert';
import {
  LOCAL_CREDENTIALS,
  resolveConfig,
  resourceNames,
  type LocalStackConfig,
  type LocalStackOptions,
  type ResourceNames,
} from './config';
import { startDynamoDb } from './dynamodb';
import type * as EmulatorsModule from './emulators';
import { LocalEventBus, eventRules, statusChangeEvent } from './events/event-bus';
import { LocalRoles, loadLocalModule, sessionTokenFor } from './iam-roles';
import {
  clientEnvironment,
  functionEnvironment,
  type EnvironmentContext,
  type LocalEndpoints,
} from './lambda/environment';
import { LambdaFunctionError, LambdaRunner, type FunctionDefinition } from './lambda/runner';
import { acquireStackLock } from './lock';
import { createComponentLog, type ComponentLog } from './logs';
import { startS3 } from './s3/server';
import { UploadEventQueue } from './s3/upload-event-queue';
import { SfnEngine } from './sfn/engine';
import { startSfnServer } from './sfn/server';
import { startSsm, type RunningSsm } from './ssm';
import { loadTerraformFacts, resolveVariables, type TerraformFacts } from './terraform-facts';

export interface LocalStack {
  config: LocalStackConfig;
  names: ResourceNames;
  facts: TerraformFacts;
  endpoints: LocalEndpoints & { s3: string; dynamodb: string; sfn: string; ssm: string };
  /** Environment for a client process (the CLI, tests) to reach the stack with the plain SDK. */
  clientEnv: Record<string, string>;
  lambda: LambdaRunner;
  sfn: SfnEngine;
  uploadEvents: UploadEventQueue;
  /** SSM Parameter Store: the bot's secrets live here. */
  ssm: RunningSsm;
  /** EventBridge: terraform/'s rules deliver events (execution status changes, …) to their Lambda targets. */
  events: LocalEventBus;
  /** What each function's environment is made from (lambda/environment.ts). */
  environment: EnvironmentContext;
  /** Lets the web page at these origins (the local gateway's) call S3 from a browser; none by default. */
  allowPageOrigins(origins: readonly string[]): Promise<void>;
  /** The lip-reading server's process when it runs (tests kill it to check that jobs degrade). */
  lipReadingServer?: { pid: number | undefined; url: string };
  /** Which lip-reading model the server serves: a package, the labelled test model, or none. */
  lipReadingModel: LipReadingModelChoice;
  logDir: string;
  /** Closes everything; safe to call more than once. */
  stop(): Promise<void>;
}

const LOCK_FILE = 'local-stack.lock';
const STOP_STEP_TIMEOUT_MS = 5000;

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const config = resolveConfig(options);
  const names = resourceNames(config);
  await mkdir(config.dataDir, { recursive: true });
  const lock = acquireStackLock(path.join(config.dataDir, LOCK_FILE));
  const logDir = path.join(config.dataDir, 'logs');
  const logs: ComponentLog[] = [];
  const logFor = (component: string) => {
    const log = createComponentLog(logDir, component, { echo: config.echoLogs });
    logs.push(log);
    return log;
  };
  const stackLog = logFor('stack');
  /** Closers in start order; stop runs them in reverse. */
  const closers: Array<{ name: string; close: () => Promise<void> }> = [];
  const endpoints: LocalEndpoints = {};
  // The lip-reading server's shared secret: SSM holds it on AWS, this stack makes its own.
  const avhubertSecret = randomBytes(32).toString('base64url');

  const stopAll = async () => {
    for (const { name, close } of [...closers].reverse()) {
      const timeout = new Promise<'timeout'>((resolve) =>
        setTimeout(() => resolve('timeout'), STOP_STEP_TIMEOUT_MS).unref(),
      );
      const outcome = await Promise.race([close().then(() => 'closed' as const), timeout]).catch((error: unknown) => {
        stackLog.error(`stopping ${name} failed`, { error });
        return 'failed' as const;
      });
      if (outcome === 'timeout') stackLog.warn(`stopping ${name} took over ${STOP_STEP_TIMEOUT_MS} ms; moving on`);
    }
    closers.length = 0;
    stackLog.info('stopped');
    await Promise.all(logs.map((log) => log.close()));
    lock.release();
  };

  try {
    stackLog.info('starting', { pid: process.pid, dataDir: config.dataDir, ports: config.ports });
    const facts = await loadTerraformFacts(config.terraformDir);
    const module = await loadLocalModule(config);
    const roles = new LocalRoles(module);
    const functionByArn = new Map(Object.keys(facts.functions).map((name) => [names.functionArn(name), name]));
    const environment: EnvironmentContext = {
      config,
      names,
      facts,
      endpoints,
      avhubertSecret,
      module,
      roleOf: (fn) => roles.roleOfFunction(fn),
    };

    const lambda = new LambdaRunner({
      functionsDir: config.functionsDir,
      unpackDir: path.join(config.dataDir, 'lambda'),
      logDir,
      echoLogs: config.echoLogs,
      warmMs: config.lambdaWarmMs,
      lookup: (name) => functionDefinition(name, environment),
    });
    const missing = lambda.missingZips(Object.keys(facts.functions));
    if (missing.length) {
      throw new Error(
        `The Lambda zips ${missing.map((name) => `${name}.zip`).join(', ')} are missing from ${config.functionsDir}; run \`make build\` first.`,
      );
    }
    closers.push({ name: 'lambda runner', close: () => lambda.close() });

    const uploadEvents = new UploadEventQueue({
      queueArn: names.uploadEventsQueueArn,
      region: config.region,
      ...config.uploadEvents,
      deadLetterFile: path.join(config.dataDir, 'dead-letters', 'upload-events.jsonl'),
      log: logFor('upload-events'),
      consumer: async (event) => {
        const result = await lambda.invoke('start-pipeline', event);
        if (!result.ok) throw new LambdaFunctionError(result.error);
        return result.payload as SQSBatchResponse | null;
      },
    });
    closers.push({ name: 'upload event queue', close: () => uploadEvents.close() });

    const s3 = await startS3({
      host: config.host,
      port: config.ports.s3,
      directory: path.join(config.dataDir, 's3'),
      buckets: [names.uploadsBucket, names.processedBucket, names.artifactsBucket],
      region: config.region,
      roles,
      notifications: {
        bucket: names.uploadsBucket,
        filters: facts.uploadFilters,
        deliver: (notification) => uploadEvents.send(JSON.stringify(notification)),
      },
      log: logFor('s3'),
    });
    closers.push({ name: 's3', close: () => s3.close() });
    endpoints.s3 = s3.url;

    const dynamodb = await startDynamoDb({
      host: config.host,
      port: config.ports.dynamodb,
      directory: path.join(config.dataDir, 'dynamodb'),
      region: config.region,
      tables: facts.tables.map((table) => ({
        name: resolveVariables(table.nameTemplate, { ...facts.variableDefaults, name_prefix: config.namePrefix }),
        facts: table,
      })),
      log: logFor('dynamodb'),
    });
    closers.push({ name: 'dynamodb', close: () => dynamodb.close() });
    endpoints.dynamodb = dynamodb.url;

    const ssm = await startSsm({
      host: config.host,
      port: config.ports.ssm,
      directory: path.join(config.dataDir, 'ssm'),
      accountId: config.accountId,
      region: config.region,
      log: logFor('ssm'),
    });
    closers.push({ name: 'ssm', close: () => ssm.close() });
    endpoints.ssm = ssm.url;

    await startEmulators(config, s3.url, endpoints, closers, logFor, stackLog);
    const avhubertRole = roles.roleOfResource('avhubert');
    const lipReadingModel = chooseLipReadingModel({
      envModelDir: process.env.GORGGLE_MODEL_DIR,
      modelDir: config.modelDir,
      testModel: config.lipReadingTestModel,
    });
    const lipReadingServer = await startLipReading(
      config,
      lipReadingModel,
      s3.url,
      avhubertSecret,
      endpoints,
      closers,
      logFor,
      stackLog,
      avhubertRole ? sessionTokenFor(avhubertRole) : undefined,
    );

    const eventsLog = logFor('events');
    const events = new LocalEventBus(
      eventRules(module),
      async (fn, event) => {
        const result = await lambda.invoke(fn, event);
        if (!result.ok) throw new LambdaFunctionError(result.error);
      },
      eventsLog,
      {
        deadLetterFile: path.join(config.dataDir, 'dead-letters', 'events.jsonl'),
        retryBaseMs: config.eventRetryBaseMs,
      },
    );
    closers.push({ name: 'events', close: () => events.close() });

    const definition = renderStateMachine({
      ...(config.executionTimeoutSeconds
        ? { settings: { execution_timeout_seconds: config.executionTimeoutSeconds } }
        : {}),
      functionArn: names.functionArn,
      taskTimeoutSeconds: (name) => {
        const fn = facts.functions[name];
        if (!fn) throw new Error(`The state machine invokes ${name}, which terraform/pipeline.tf does not deploy.`);
        return fn.timeoutSeconds + facts.taskTimeoutMarginSeconds;
      },
    }) as unknown as StateMachineDefinition;

    const sfnLog = logFor('sfn');
    const engine = new SfnEngine({
      stateMachine: {
        name: names.stateMachineName,
        arn: names.stateMachineArn,
        roleArn: names.stateMachineRoleArn,
        definition,
      },
      waitMs: config.waitMs,
      firstWaitMs: Math.min(config.firstWaitMs, config.waitMs),
      retryIntervalScale: config.retryIntervalScale,
      persistDir: path.join(config.dataDir, 'executions'),
      log: sfnLog,
      onExecutionEnded: (execution) => events.put(statusChangeEvent(execution)),
      invokeTask: async (resource, input, signal) => {
        const name = functionByArn.get(resource);
        if (!name) {
          return {
            ok: false,
            error: {
              errorType: 'Lambda.ResourceNotFoundException',
              errorMessage: `Function not found: ${resource}`,
              trace: [],
            },
          };
        }
        return lambda.invoke(name, input, { signal });
      },
    });
    const sfn = await startSfnServer({ engine, host: config.host, port: config.ports.sfn, log: sfnLog });
    closers.push({ name: 'step functions', close: () => sfn.close() });
    endpoints.sfn = sfn.url;

    const allEndpoints = endpoints as LocalStack['endpoints'];
    lock.update({ ...allEndpoints });
    stackLog.info('ready', { endpoints });
    let stopping: Promise<void> | undefined;
    return {
      config,
      names,
      facts,
      endpoints: allEndpoints,
      clientEnv: clientEnvironment(config.region, allEndpoints),
      lambda,
      sfn: engine,
      uploadEvents,
      ssm,
      events,
      environment,
      allowPageOrigins: (origins) => s3.allowPageOrigins(origins),
      ...(lipReadingServer ? { lipReadingServer: { pid: lipReadingServer.pid, url: lipReadingServer.url } } : {}),
      lipReadingModel,
      logDir,
      stop: () => (stopping ??= stopAll()),
    };
  } catch (error) {
    stackLog.error('start failed', { error });
    await stopAll();
    throw error;
  }
}

function functionDefinition(
  name: string,
  context: Parameters<typeof functionEnvironment>[1],
): FunctionDefinition | undefined {
  const fn = context.facts.functions[name];
  if (!fn) return undefined;
  return {
    name,
    qualifiedName: context.names.functionName(name),
    arn: context.names.functionArn(name),
    timeoutSeconds: fn.timeoutSeconds,
    memoryMb: fn.memoryMb,
    environment: (taskRoot) => functionEnvironment(name, context, { taskRoot }),
  };
}

type Closers = Array<{ name: string; close: () => Promise<void> }>;

async function startEmulators(
  config: LocalStackConfig,
  s3Endpoint: string,
  endpoints: LocalEndpoints,
  closers: Closers,
  logFor: (component: string) => ComponentLog,
  stackLog: ComponentLog,
): Promise<void> {
  if (!config.transcribe && !config.rekognition) return;
  let emulators: typeof EmulatorsModule;
  try {
    emulators = await import('./emulators');
  } catch (error) {
    stackLog.warn('the Transcribe and Rekognition emulators could not be loaded; those branches will fail', { error });
    return;
  }
  const s3 = {
    endpoint: s3Endpoint,
    region: config.region,
    credentials: {
      accessKeyId: LOCAL_CREDENTIALS.AWS_ACCESS_KEY_ID,
      secretAccessKey: LOCAL_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
    },
  };
  if (config.transcribe) {
    const handle = await emulators.startTranscribeEmulator({
      host: config.host,
      port: config.ports.transcribe,
      dataDir: path.join(config.dataDir, 'transcribe'),
      s3,
      logger: logFor('transcribe'),
    });
    closers.push({ name: 'transcribe', close: () => handle.close() });
    endpoints.transcribe = handle.url;
  }
  if (config.rekognition) {
    const handle = await emulators.startRekognitionEmulator({
      host: config.host,
      port: config.ports.rekognition,
      dataDir: path.join(config.dataDir, 'rekognition'),
      s3,
      logger: logFor('rekognition'),
    });
    closers.push({ name: 'rekognition', close: () => handle.close() });
    endpoints.rekognition = handle.url;
  }
}

async function startLipReading(
  config: LocalStackConfig,
  model: LipReadingModelChoice,
  s3Endpoint: string,
  secret: string,
  endpoints: LocalEndpoints,
  closers: Closers,
  logFor: (component: string) => ComponentLog,
  stackLog: ComponentLog,
  sessionToken?: string,
): Promise<RunningAvhubert | undefined> {
  if (!config.avhubert) return undefined;
  // With no model the server still runs: its /health tells the pipeline to skip lip reading.
  const modelDir = model.kind === 'none' ? undefined : model.modelDir;
  if (model.kind === 'test-model') stackLog.warn('lip reading serves the generated TEST model (a plumbing check)');
  const unavailable = avhubertUnavailableReason(modelDir);
  if (unavailable) {
    stackLog.warn(`the lip-reading server is not started: ${unavailable}; lip reading will degrade`);
    return undefined;
  }
  const tmpDir = path.join(config.dataDir, 'avhubert-tmp');
  await mkdir(tmpDir, { recursive: true });
  const avhubert = await startAvhubert({
    host: config.host,
    port: config.ports.avhubert,
    modelDir,
    s3Endpoint,
    region: config.region,
    processedBucket: resourceNames(config).processedBucket,
    secret,
    tmpDir,
    ...(sessionToken ? { sessionToken } : {}),
    log: logFor('avhubert'),
  });
  closers.push({ name: 'lip-reading server', close: () => avhubert.close() });
  endpoints.avhubert = avhubert.url;
  return avhubert;
}

/** True when a zip for every Terraform function is in place (for callers that want to build first). */
export function functionsBuilt(functionsDir: string, functionNames: readonly string[]): boolean {
  return functionNames.every((name) => existsSync(path.join(functionsDir, `${name}.zip`)));
}
