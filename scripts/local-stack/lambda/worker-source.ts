/**
 * The code a function's execution environment runs: a worker thread (`eval: true`) or a
 * child process (`node -e`, handler file and name as arguments, messages over IPC). It is
 * plain JavaScript, so it works the same under tsx, jest and plain node. It imports the
 * unpacked bundle once (the cold start), then for each invocation posted to it calls the
 * handler with that invocation's Lambda-like context and posts back the result or the error
 * in Lambda's shape ({errorType, errorMessage, trace}). Like Lambda, a warm environment keeps
 * its module state; `reusable: false` says it must not take another invocation.
 */
export const WORKER_SOURCE = String.raw`
const threads = require('node:worker_threads');
const inThread = threads.parentPort !== null;
const workerData = inThread ? threads.workerData : { handlerFile: process.argv[1], handlerName: process.argv[2] };
const parentPort = inThread
  ? threads.parentPort
  : { on: (event, listener) => process.on(event, listener), postMessage: (message) => process.send(message) };
// A process whose stack has gone ends too, whatever it was doing.
if (!inThread) process.on('disconnect', () => process.exit(1));
const { pathToFileURL } = require('node:url');

function lambdaError(error, fallbackType) {
  if (error instanceof Error) {
    return {
      errorType: fallbackType || error.name || 'Error',
      errorMessage: fallbackType ? error.name + ': ' + error.message : error.message,
      trace: String(error.stack || '').split('\n'),
    };
  }
  return { errorType: fallbackType || typeof error, errorMessage: String(error), trace: [] };
}

let imported;

async function invoke({ eventJson, context, deadline }) {
  const { handlerFile, handlerName } = workerData;
  let module;
  try {
    module = await (imported ??= import(pathToFileURL(handlerFile).href));
  } catch (error) {
    return { ok: false, reusable: false, error: lambdaError(error, 'Runtime.ImportModuleError') };
  }
  const handler = module[handlerName];
  if (typeof handler !== 'function') {
    return {
      ok: false,
      reusable: false,
      error: { errorType: 'Runtime.HandlerNotFound', errorMessage: 'index.' + handlerName + ' is undefined or not exported', trace: [] },
    };
  }
  const lambdaContext = {
    ...context,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  try {
    const event = JSON.parse(eventJson);
    const result = handler.length >= 3
      ? await new Promise((resolve, reject) => {
          const maybe = handler(event, lambdaContext, (error, value) => (error ? reject(error) : resolve(value)));
          if (maybe && typeof maybe.then === 'function') maybe.then(resolve, reject);
        })
      : await handler(event, lambdaContext);
    return { ok: true, payloadJson: JSON.stringify(result === undefined ? null : result) };
  } catch (error) {
    return { ok: false, error: lambdaError(error) };
  }
}

parentPort.on('message', (request) =>
  invoke(request).then(
    (message) => parentPort.postMessage(message),
    (error) => parentPort.postMessage({ ok: false, reusable: false, error: lambdaError(error, 'Runtime.UnhandledError') }),
  ),
);
`;
