/**
 * Runs the zips from dist/functions like Lambda does: every invocation in its own execution
 * environment (a worker thread, or a child process for zips with native packages) with the
 * function's own environment (never the stack's process.env), a deadline
 * from the function's timeout, and errors in Lambda's shape.
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
}

export interface InvokeOptions {
  /** Aborting terminates the worker (a stopped execution, a Step Functions task timeout). */
  signal?: AbortSignal;
}

export class LambdaRunner {
  private readonly unpacker: FunctionUnpacker;
  private readonly active = new Set<ExecutionEnvironment>();
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

    const worker = startEnvironment({
      taskRoot,
      env: fn.environment(taskRoot),
      memoryMb: fn.memoryMb,
      handlerName: 'handler',
    });
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
    worker.stdout.pipe(log.stream, { end: false });
    worker.stderr.pipe(log.stream, { end: false });

    const outcome = await new Promise<{ ok: true; payload: unknown } | { ok: false; error: LambdaErrorPayload }>(
      (resolve) => {
        let settled = false;
        const settle = (value: { ok: true; payload: unknown } | { ok: false; error: LambdaErrorPayload }) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          options.signal?.removeEventListener('abort', onAbort);
          resolve(value);
          void worker.terminate();
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
        if (options.signal?.aborted) onAbort();
        else options.signal?.addEventListener('abort', onAbort, { once: true });
        if (!settled) worker.postMessage(request);

        worker.onMessage((reply) => {
          const message = reply as { ok: true; payloadJson: string } | { ok: false; error: LambdaErrorPayload };
          settle(message.ok ? { ok: true, payload: JSON.parse(message.payloadJson) as unknown } : message);
        });
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
        });
        worker.onExit((code) => {
          settle({
            ok: false,
            error: {
              errorType: 'Runtime.ExitError',
              errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: exit status ${code}`,
              trace: [],
            },
          });
        });
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

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.active].map((worker) => worker.terminate()));
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
