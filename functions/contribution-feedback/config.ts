import * as z from 'zod';
import { env } from '../lib/config';
import { DEFAULT_TELEGRAM_API_ROOT } from '../lib/bot/model';
import { DEFAULT_FEEDBACK_OPTIONS as defaults } from '../lib/bot/feedback';

const ratio = (fallback: number) => z.coerce.number().min(0).max(1).default(fallback);

export const configSchema = z.object({
  JOBS_TABLE: env.table(),
  RECORDINGS_TABLE: env.table(),
  /** A rejected take is taken out of its sentence's coverage. */
  SENTENCES_TABLE: env.table(),
  PROCESSED_BUCKET: env.bucket(),
  TELEGRAM_TOKEN_PARAMETER: z.string().startsWith('/'),
  TELEGRAM_API_ROOT: z.url().default(DEFAULT_TELEGRAM_API_ROOT),
  MIN_FACE_RATIO: ratio(defaults.minFaceRatio),
  MIN_FACE_SIZE: ratio(defaults.minFaceSize),
  MIN_FACE_BRIGHTNESS: z.coerce.number().min(0).max(100).default(defaults.minBrightness),
  MIN_SPEECH_SECONDS: z.coerce.number().min(0).default(defaults.minSpeechSec),
  MAX_ACCEPTED_WER: z.coerce.number().min(0).default(defaults.maxAcceptedWer),
  /** Prompt languages the pipeline transcribes (each recording in its own language, e.g. he-IL). */
  WER_LANGUAGES: env.csv(defaults.werLanguages.join(',')),
  MIN_VIDEO_SECONDS: env.positiveInt(defaults.minVideoSec),
  MAX_VIDEO_SECONDS: env.positiveInt(defaults.maxVideoSec),
});
