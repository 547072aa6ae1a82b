import * as z from 'zod';
import { env } from '../lib/config';

export const configSchema = z.object({
  JOBS_TABLE: env.table(),
  PROCESSED_BUCKET: env.bucket(),
  POLL_INTERVAL_SECONDS: env.positiveInt(10),
  /** The leases table (terraform/quotas.tf) that gates Rekognition starts; unset, starts are not gated. */
  LEASES_TABLE: env.table().optional(),
  /** Rekognition video jobs this deployment runs at once: under the account's quota of 20. */
  REKOGNITION_MAX_CONCURRENT_JOBS: env.positiveInt(18),
});
