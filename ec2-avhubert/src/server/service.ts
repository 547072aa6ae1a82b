import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
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

/** The shared secret: given (local stack), or read once at start from SSM with the instance role. */
export async function readSharedSecret(source: ServerConfig['secret'], ssm = new SSMClient({})): Promise<string> {
  if ('value' in source) return source.value;
  const { Parameter } = await ssm.send(new GetParameterCommand({ Name: source.parameter, WithDecryption: true }));
  const value = Parameter?.Value ?? '';
  if (value.length < 32) {
    throw new Error(
      `The SSM parameter ${source.parameter} holds no secret of 32 or more characters; run terraform apply.`,
    );
  }
  return value;
}

/** Wires the real pipeline into the HTTP server with the configured limits. */
export async function startService(config: ServerConfig, parts: ServiceParts): Promise<LipReadingServer> {
  const { model } = parts;
  return startLipReadingServer({
    access: {
      secret: await readSharedSecret(config.secret),
      processedBucket: config.processedBucket,
      allowedHosts: config.allowedHosts,
    },
    runner: model
      ? createLipReadingRunner({
          store: parts.store,
          model,
          preprocess: parts.preprocess,
          tmpDir: config.tmpDir,
          timeBudget: { baseMs: config.jobTimeoutMs, perVideoSecondMs: config.jobTimeoutMsPerVideoSecond },
        })
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
