import * as z from 'zod';
import { MEDIA_EXTENSIONS } from '../lib/api/media-types';
import { env } from '../lib/config';

/** Videos, and audio files (processed with speech alone). */
export const DEFAULT_ALLOWED_EXTENSIONS = MEDIA_EXTENSIONS.join(',');
/** 2 GiB: what extract can download and convert within Lambda's /tmp and time limits. */
export const DEFAULT_MAX_UPLOAD_BYTES = 2 * 1024 ** 3;
/** As var.processed_retention_days: a job row lives as long as its files. */
export const DEFAULT_JOB_RETENTION_DAYS = 30;

export const configSchema = z.object({
  JOBS_TABLE: env.table(),
  STATE_MACHINE_ARN: env.arn(),
  MAX_UPLOAD_BYTES: env.positiveInt(DEFAULT_MAX_UPLOAD_BYTES),
  /** Comma-separated, without dots, case-insensitive. */
  ALLOWED_EXTENSIONS: env
    .csv(DEFAULT_ALLOWED_EXTENSIONS)
    .transform((list) => list.map((ext) => ext.replace(/^\./, ''))),
  /** Days until a job row's TTL removes it, matching the processed bucket's expiry of its files. */
  JOB_RETENTION_DAYS: env.positiveInt(DEFAULT_JOB_RETENTION_DAYS),
});
export type StartPipelineConfig = z.infer<typeof configSchema>;
