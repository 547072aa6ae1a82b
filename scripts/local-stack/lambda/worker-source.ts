/**
 * The code a function's worker thread runs: its execution environment. It is plain JavaScript
 * run with `eval: true`, so it works the same under tsx, jest and plain node. It imports the
 * unpacked bundle once (the cold start), then for each invocation posted to it calls the
 * handler with a Lambda-like context and posts back the result or the error in Lambda's shape
 * ({errorType, errorMessage, trace}). Like Lambda, a warm environment keeps its module state.
 */
export const WORKER_SOURCE = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
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
