import * as z from 'zod';
import { env } from '../lib/config';
import { DEFAULT_TELEGRAM_API_ROOT } from '../lib/bot/model';

export const configSchema = z.object({
  JOBS_TABLE: env.table(),
  RECORDINGS_TABLE: env.table(),
  PROCESSED_BUCKET: env.bucket(),
  TELEGRAM_TOKEN_PARAMETER: z.string().startsWith('/'),
  TELEGRAM_API_ROOT: z.url().default(DEFAULT_TELEGRAM_API_ROOT),
  MIN_FACE_RATIO: z.coerce.number().min(0).max(1).default(0.5),
  MAX_ACCEPTED_WER: z.coerce.number().min(0).default(0.6),
  /** The pipeline transcribes in one language (transcribe_language); WER means something only there. */
  WER_LANGUAGES: env.csv('en'),
});
