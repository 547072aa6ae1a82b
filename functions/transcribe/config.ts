import * as z from 'zod';
import { env } from '../lib/config';

export const configSchema = z.object({
  JOBS_TABLE: env.table(),
  PROCESSED_BUCKET: env.bucket(),
  /** A Transcribe language code (en-US, de-DE, ...) or 'auto' to identify the language. */
  TRANSCRIBE_LANGUAGE: z
    .string()
    .regex(/^(auto|[a-z]{2,3}-[A-Z]{2})$/, "use a language code such as en-US, or 'auto'")
    .default('en-US'),
  /** Transcribe accepts 2 to 30 speaker labels. */
  MAX_SPEAKERS: z.coerce.number().int().min(2).max(30).default(4),
  POLL_INTERVAL_SECONDS: env.positiveInt(10),
  /**
   * The role Amazon Transcribe assumes for queued jobs (terraform/quotas.tf). Set, jobs over
   * the account's concurrency quota wait in Transcribe's queue; unset, they fail with
   * LimitExceededException and the branch backs off.
   */
  TRANSCRIBE_DATA_ACCESS_ROLE_ARN: env.arn().optional(),
});
