import * as z from 'zod';
import { env } from '../lib/config';
import { MAX_UPLOAD_URL_SECONDS } from '../lib/api/uploads';
import {
  DEFAULT_ALLOWED_EXTENSIONS,
  DEFAULT_JOB_RETENTION_DAYS,
  DEFAULT_MAX_UPLOAD_BYTES,
} from '../start-pipeline/config';

export const configSchema = z.object({
  JOBS_TABLE: env.table(),
  UPLOADS_BUCKET: env.bucket(),
  PROCESSED_BUCKET: env.bucket(),
  /** The same limits start-pipeline applies, so the page refuses what the pipeline would. */
  MAX_UPLOAD_BYTES: env.positiveInt(DEFAULT_MAX_UPLOAD_BYTES),
  ALLOWED_EXTENSIONS: env
    .csv(DEFAULT_ALLOWED_EXTENSIONS)
    .transform((list) => list.map((ext) => ext.replace(/^\./, ''))),
  /** How long a presigned upload form stays valid: at most 15 minutes. */
  UPLOAD_URL_SECONDS: z.coerce.number().int().min(60).max(MAX_UPLOAD_URL_SECONDS).default(MAX_UPLOAD_URL_SECONDS),
  /** How long result and caption links stay valid. */
  RESULT_URL_SECONDS: z.coerce.number().int().min(60).max(3600).default(900),
  /**
   * Most history events one execution summary reads. One GetExecutionHistory page (1000) by
   * default: the call's account-wide rate is small, and every open job page polls it.
   */
  MAX_HISTORY_EVENTS: env.positiveInt(1000),
  /** Days jobs and their files are kept (var.processed_retention_days), said in messages. */
  JOB_RETENTION_DAYS: env.positiveInt(DEFAULT_JOB_RETENTION_DAYS),
  /**
   * Local mode only: the bearer token every request must carry. In AWS it stays unset and
   * the HTTP API's Cognito JWT authorizer guards every route instead.
   */
  LOCAL_API_TOKEN: z.string().min(16, 'LOCAL_API_TOKEN must be at least 16 characters').optional(),
});
export type ApiConfig = z.infer<typeof configSchema>;
