import type { ServerConfig } from '../config';
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
  model: ModelLike;
  preprocess: PreprocessStreamFn;
  store: ObjectStoreLike;
  log: Logger;
  deviceInfo?: () => Promise<DeviceMemory>;
  powerOff?: () => Promise<void>;
}

/** Wires the real pipeline into the HTTP server with the configured limits. */
export function startService(config: ServerConfig, parts: ServiceParts): Promise<LipReadingServer> {
  return startLipReadingServer({
    runner: createLipReadingRunner({
      store: parts.store,
      model: parts.model,
      preprocess: parts.preprocess,
      tmpDir: config.tmpDir,
      timeBudget: { baseMs: config.jobTimeoutMs, perVideoSecondMs: config.jobTimeoutMsPerVideoSecond },
    }),
    model: { name: parts.model.name, mode: parts.model.mode, device: config.device },
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
