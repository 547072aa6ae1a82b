import * as z from 'zod';
import { env } from '../lib/config';

export const configSchema = z.object({
  JOBS_TABLE: env.table(),
  PROCESSED_BUCKET: env.bucket(),
  POLL_INTERVAL_SECONDS: env.positiveInt(10),
});
