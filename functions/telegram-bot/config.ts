import * as z from 'zod';
import { env } from '../lib/config';
import { DEFAULT_TELEGRAM_API_ROOT } from '../lib/bot/model';
import { EXPORT_MINIMUMS } from '../lib/bot/turn';

/** Telegram user ids, comma-separated. */
const userIds = () => env.csv('').pipe(z.array(z.string().regex(/^\d+$/, 'Telegram user ids are digits')));

export const configSchema = z.object({
  CONTRIBUTORS_TABLE: env.table(),
  RECORDINGS_TABLE: env.table(),
  SENTENCES_TABLE: env.table(),
  UPDATES_TABLE: env.table(),
  UPLOADS_BUCKET: env.bucket(),
  /** /delete removes what the pipeline made of a contributor's recordings: job files and rows. */
  PROCESSED_BUCKET: env.bucket(),
  JOBS_TABLE: env.table(),
  /** SSM SecureString parameter names; their values never live in the repository. */
  TELEGRAM_TOKEN_PARAMETER: z.string().startsWith('/'),
  TELEGRAM_SECRET_PARAMETER: z.string().startsWith('/'),
  CONTRIBUTOR_SALT_PARAMETER: z.string().startsWith('/'),
  TELEGRAM_API_ROOT: z.url().default(DEFAULT_TELEGRAM_API_ROOT),
  ADMIN_USER_IDS: userIds(),
  VIP_USER_IDS: userIds(),
  TEST_USER_IDS: userIds(),
  MIN_VIDEO_SECONDS: env.positiveInt(1),
  MAX_VIDEO_SECONDS: env.positiveInt(30),
  MAX_RECORDINGS_PER_CONTRIBUTOR: env.positiveInt(300),
  REPORTS_TO_RETIRE: env.positiveInt(3),
  EXPORT_MINIMUM_VERDICT: z.enum(EXPORT_MINIMUMS).default('accepted'),
  /** What the consent text promises. */
  DATASET_LICENCE: z.string().min(1).default('CC BY 4.0'),
  RETENTION_YEARS: env.positiveInt(5),
  DATA_CONTACT: z.string().default(''),
});
export type TelegramBotConfig = z.infer<typeof configSchema>;
