/**
 * Runs the zips from dist/functions like Lambda does: each function in execution environments
 * of its own (a worker thread, or a child process for zips with native packages) with the
 * function's own environment (never the stack's process.env), a deadline from the function's
 * timeout, and errors in Lambda's shape. As on Lambda, an environment that finished an
 * invocation stays warm for the next one (module state, loaded models and all) until it idles
 * out; one that timed out, was stopped or crashed is thrown away.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createComponentLog, type ComponentLog } from '../logs';
import { FunctionUnpacker } from './unpack';
import { startEnvironment, type ExecutionEnvironment } from './execution-environment';

/** Lambda's error payload, as Step Functions puts it in Cause. */
export interface LambdaErrorPayload {
  errorType: string;
  errorMessage: string;
  trace: string[];
}

export type InvocationResult = { requestId: string; durationMs: number } & (
  { ok: true; payload: unknown } | { ok: false; error: LambdaErrorPayload }
);

/** Everything the runner needs to know about one function. */
export interface FunctionDefinition {
  /** Short name, e.g. extract (the zip is <name>.zip). */
  name: string;
  /** Deployed name, e.g. gorggle-extract. */
  qualifiedName: string;
  arn: string;
  timeoutSeconds: number;
  memoryMb: number;
  environment(taskRoot: string): Record<string, string>;
}

/**
 * A failed invocation as an Error: the name is the Lambda's errorType (what Retry and Catch
 * match) and the message is the error JSON (what Step Functions hands on as Cause).
 */
export class LambdaFunctionError extends Error {
  constructor(readonly payload: LambdaErrorPayload) {
    super(JSON.stringify(payload));
    this.name = payload.errorType;
  }
}

export interface LambdaRunnerOptions {
  functionsDir: string;
  /** Unpacked zips go to <unpackDir>/<name>/. */
  unpackDir: string;
  /** Each function logs to <logDir>/lambda-<name>.log. */
  logDir: string;
  lookup: (name: string) => FunctionDefinition | undefined;
  echoLogs?: boolean;
  /** How long a warm environment waits for its next invocation. Default 60 s; 0 starts one per invocation. */
  warmMs?: number;
  /** Warm environments kept per function at most. Default 2 (each holds its bundle and models in memory). */
  maxWarmPerFunction?: number;
}

type EnvironmentReply =
  | { ok: true; payloadJson: string }
  | { ok: false; reusable?: false; error: LambdaErrorPayload }
  | { ok: false; error: LambdaErrorPayload };

interface WarmEnvironment {
  environment: ExecutionEnvironment;
  expiry: NodeJS.Timeout;
  /** Stops watching for the idle environment's own end. */
  unwatch: () => void;
}

export interface InvokeOptions {
  /** Aborting terminates the worker (a stopped execution, a Step Functions task timeout). */
  signal?: AbortSignal;
}

export class LambdaRunner {
  private readonly unpacker: FunctionUnpacker;
  private readonly active = new Set<ExecutionEnvironment>();
  /** Idle environments by unpacked folder (a changed zip unpacks to a new one). */
  private readonly warm = new Map<string, WarmEnvironment[]>();
  private readonly logs = new Map<string, ComponentLog>();
  private closed = false;

  constructor(private readonly options: LambdaRunnerOptions) {
    this.unpacker = new FunctionUnpacker(options.functionsDir, options.unpackDir);
  }

  get activeInvocations(): number {
    return this.active.size;
  }

  /** Fails early with a readable message when a zip is missing. */
  missingZips(names: readonly string[]): string[] {
    return names.filter((name) => !existsSync(this.unpacker.zipOf(name)));
  }

  async prepare(name: string): Promise<string> {
    return (await this.unpacker.unpack(name)).dir;
  }

  async invoke(name: string, event: unknown, options: InvokeOptions = {}): Promise<InvocationResult> {
    if (this.closed) throw new Error('The local Lambda runner is stopped.');
    const fn = this.options.lookup(name);
    if (!fn)
      throw new Error(`No local function named "${name}"; the stack knows the functions in terraform/pipeline.tf.`);
    const taskRoot = await this.prepare(name);
    const requestId = randomUUID();
    const log = this.logFor(name);
    const started = Date.now();
    const deadline = started + fn.timeoutSeconds * 1000;
    log.stream.write(`START RequestId: ${requestId} Version: $LATEST\n`);

    const worker = this.takeWarm(taskRoot) ?? this.startEnvironment(fn, taskRoot, log);
    const request = {
      eventJson: JSON.stringify(event ?? null),
      deadline,
      context: {
        functionName: fn.qualifiedName,
        functionVersion: '$LATEST',
        invokedFunctionArn: fn.arn,
        memoryLimitInMB: String(fn.memoryMb),
        awsRequestId: requestId,
        logGroupName: `/aws/lambda/${fn.qualifiedName}`,
        logStreamName: `${new Date(started).toISOString().slice(0, 10).replaceAll('-', '/')}/[$LATEST]${requestId.replaceAll('-', '')}`,
      },
    };
    this.active.add(worker);

    const outcome = await new Promise<{ ok: true; payload: unknown } | { ok: false; error: LambdaErrorPayload }>(
      (resolve) => {
        let settled = false;
        const unsubscribe: Array<() => void> = [];
        const settle = (
          value: { ok: true; payload: unknown } | { ok: false; error: LambdaErrorPayload },
          reusable = false,
        ) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          options.signal?.removeEventListener('abort', onAbort);
          for (const remove of unsubscribe) remove();
          resolve(value);
          if (reusable) this.keepWarm(taskRoot, worker);
          else void worker.terminate();
        };
        const timer = setTimeout(() => {
          settle({
            ok: false,
            error: {
              errorType: 'Sandbox.Timedout',
              errorMessage: `${new Date().toISOString()} ${requestId} Task timed out after ${fn.timeoutSeconds.toFixed(2)} seconds`,
              trace: [],
            },
          });
        }, deadline - Date.now());
        const onAbort = () =>
          settle({
            ok: false,
            error: {
              errorType: 'Runtime.Aborted',
              errorMessage: `RequestId: ${requestId} was stopped by its caller`,
              trace: [],
            },
          });
        unsubscribe.push(
          worker.onMessage((reply) => {
            const message = reply as EnvironmentReply;
            settle(
              message.ok
                ? { ok: true, payload: JSON.parse(message.payloadJson) as unknown }
                : { ok: false, error: message.error },
              message.ok || !('reusable' in message),
            );
          }),
        );
        unsubscribe.push(
          worker.onError((error) => {
            const outOfMemory = error.code === 'ERR_WORKER_OUT_OF_MEMORY';
            settle({
              ok: false,
              error: {
                errorType: outOfMemory ? 'Runtime.OutOfMemory' : error.name || 'Error',
                errorMessage: outOfMemory
                  ? `RequestId: ${requestId} Error: Runtime exited with error: memory limit of ${fn.memoryMb} MB exceeded`
                  : error.message,
                trace: String(error.stack ?? '').split('\n'),
              },
            });
          }),
        );
        unsubscribe.push(
          worker.onExit((code) => {
            settle({
              ok: false,
              error: {
                errorType: 'Runtime.ExitError',
                errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: exit status ${code}`,
                trace: [],
              },
            });
          }),
        );
        // Listening before the request goes: a warm environment may answer at once.
        if (options.signal?.aborted) onAbort();
        else {
          options.signal?.addEventListener('abort', onAbort, { once: true });
          worker.postMessage(request);
        }
      },
    );
    this.active.delete(worker);
    const durationMs = Date.now() - started;
    if (!outcome.ok) log.stream.write(`${requestId} ERROR ${JSON.stringify(outcome.error)}\n`);
    log.stream.write(`END RequestId: ${requestId}\nREPORT RequestId: ${requestId} Duration: ${durationMs} ms\n`);
    return { ...outcome, requestId, durationMs };
  }

  /** Invokes and throws LambdaFunctionError on failure, for callers that want a value. */
  async invokeOrThrow(name: string, event: unknown, options: InvokeOptions = {}): Promise<unknown> {
    const result = await this.invoke(name, event, options);
    if (!result.ok) throw new LambdaFunctionError(result.error);
    return result.payload;
  }

  /** A new execution environment: the bundle is imported on its first invocation. */
  private startEnvironment(fn: FunctionDefinition, taskRoot: string, log: ComponentLog): ExecutionEnvironment {
    const environment = startEnvironment({
      taskRoot,
      env: fn.environment(taskRoot),
      memoryMb: fn.memoryMb,
      handlerName: 'handler',
    });
    environment.stdout.pipe(log.stream, { end: false });
    environment.stderr.pipe(log.stream, { end: false });
    return environment;
  }

  private takeWarm(taskRoot: string): ExecutionEnvironment | undefined {
    const idle = this.warm.get(taskRoot)?.pop();
    if (!idle) return undefined;
    clearTimeout(idle.expiry);
    idle.unwatch();
    idle.environment.setIdle(false);
    return idle.environment;
  }

  private keepWarm(taskRoot: string, environment: ExecutionEnvironment): void {
    const warmMs = this.options.warmMs ?? 60_000;
    const idle = this.warm.get(taskRoot) ?? [];
    if (this.closed || warmMs <= 0 || idle.length >= (this.options.maxWarmPerFunction ?? 2)) {
      void environment.terminate();
      return;
    }
    // An idle environment never keeps the process alive.
    environment.setIdle(true);
    const retire = () => {
      const list = this.warm.get(taskRoot);
      const index = list?.indexOf(entry) ?? -1;
      if (index >= 0) list?.splice(index, 1);
      clearTimeout(entry.expiry);
      entry.unwatch();
      void environment.terminate();
    };
    const entry: WarmEnvironment = {
      environment,
      expiry: setTimeout(retire, warmMs),
      // One that ends while idle (a crash, a kill) leaves the pool at once.
      unwatch: environment.onExit(retire),
    };
    entry.expiry.unref();
    idle.push(entry);
    this.warm.set(taskRoot, idle);
  }

  async close(): Promise<void> {
    this.closed = true;
    const idle = [...this.warm.values()].flat();
    this.warm.clear();
    for (const entry of idle) clearTimeout(entry.expiry);
    await Promise.all(
      [...this.active, ...idle.map((entry) => entry.environment)].map((environment) => environment.terminate()),
    );
    this.active.clear();
    await Promise.all([...this.logs.values()].map((log) => log.close()));
  }

  private logFor(name: string): ComponentLog {
    let log = this.logs.get(name);
    if (!log) {
      log = createComponentLog(this.options.logDir, `lambda-${name}`, { echo: this.options.echoLogs });
      this.logs.set(name, log);
    }
    return log;
  }
}
