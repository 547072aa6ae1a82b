import * as z from 'zod';
import { env } from '../lib/config';
import { DEFAULT_TELEGRAM_API_ROOT } from '../lib/bot/model';

/** Telegram user ids, comma-separated. */
const userIds = () => env.csv('').pipe(z.array(z.string().regex(/^\d+$/, 'Telegram user ids are digits')));

export const configSchema = z.object({
  CONTRIBUTORS_TABLE: env.table(),
  RECORDINGS_TABLE: env.table(),
  SENTENCES_TABLE: env.table(),
  UPDATES_TABLE: env.table(),
  UPLOADS_BUCKET: env.bucket(),
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
});
export type TelegramBotConfig = z.infer<typeof configSchema>;
