import { NO_MODEL_REASON, type ServerConfig } from '../config';
import {
  createLipReadingRunner,
  type ModelLike,
  type ObjectStoreLike,
  type PreprocessStreamFn,
} from '../pipeline/lip-read-job';
import { startLipReadingServer, type DeviceMemory, type LipReadingServer } from './app';
import { shellPowerOff } from './idle-shutdown';
import type { Logger } from './logger';

export interface ServiceParts {
  /** Absent: no model package is configured; the server reports it and refuses jobs. */
  model?: ModelLike;
  preprocess: PreprocessStreamFn;
  store: ObjectStoreLike;
  log: Logger;
  deviceInfo?: () => Promise<DeviceMemory>;
  powerOff?: () => Promise<void>;
}

/** Wires the real pipeline into the HTTP server with the configured limits. */
export function startService(config: ServerConfig, parts: ServiceParts): Promise<LipReadingServer> {
  const { model } = parts;
  return startLipReadingServer({
    runner: model
      ? createLipReadingRunner({ store: parts.store, model, preprocess: parts.preprocess, tmpDir: config.tmpDir })
      : () => Promise.reject(new Error(NO_MODEL_REASON)),
    model: model ? { name: model.name, mode: model.mode, device: config.device } : { missing: NO_MODEL_REASON },
    port: config.port,
    host: config.host,
    queueCapacity: config.queueCapacity,
    concurrency: config.concurrency,
    jobTimeoutMs: config.jobTimeoutMs,
    shutdownGraceMs: config.shutdownGraceMs,
    idleShutdownMs: config.idleShutdownMs,
    powerOff: parts.powerOff ?? shellPowerOff(config.powerOffCommand),
    log: parts.log,
    deviceInfo: parts.deviceInfo,
  });
}
