/**
 * The lip-reading server's entry point (systemd runs its esbuild bundle, dist/server.mjs).
 * Loads the model once, serves jobs, and on SIGTERM drains and exits 0.
 */
import { deviceInfo } from '../native';
import { loadServerConfig, NO_MODEL_REASON } from './config';
import { loadModelPackage } from './model';
import { createObjectStore } from './pipeline/s3';
import { preprocessVideoStream } from './preprocess';
import { createLogger } from './server/logger';
import { startService } from './server/service';

async function main(): Promise<void> {
  const config = loadServerConfig();
  const log = createLogger(config.logLevel);
  const loadStarted = Date.now();
  // Without a model the server still answers, so the pipeline learns at once that lip reading is off.
  const model = config.modelDir
    ? await loadModelPackage(config.modelDir, {
        device: config.device,
        dtype: config.dtype,
        budget: { memoryBytes: config.decodeMemoryBytes, maxBatchChunks: config.decodeBatchChunks },
      })
    : undefined;
  if (model) {
    log.info('model loaded', {
      model: model.name,
      mode: model.mode,
      device: config.device,
      dtype: config.dtype,
      decoder: model.decoderKind,
      landmarks: config.landmarks,
      ms: Date.now() - loadStarted,
    });
  } else {
    log.warn(`no model: ${NO_MODEL_REASON}; jobs are refused`);
  }

  const server = await startService(config, {
    model,
    preprocess: (file, options) => preprocessVideoStream(file, { ...options, landmarks: config.landmarks }),
    store: createObjectStore(),
    log,
    deviceInfo,
  });

  const stop = (signal: string) => {
    log.info('signal received', { signal });
    server
      .shutdown()
      .then(() => {
        model?.dispose();
        process.exit(0);
      })
      .catch((error: unknown) => {
        log.error('shutdown failed', { error });
        process.exit(1);
      });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  // A bad config or a missing model is fatal: say why on stderr, and let systemd decide.
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
  process.exit(1);
});
