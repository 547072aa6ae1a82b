import { fileURLToPath } from 'node:url';
import * as z from 'zod';
import { env } from '../lib/config';

/** scripts/build/functions.ts zips the static binaries into bin/ and the models into models/ beside the bundle. */
const besideBundle = (name: string) => fileURLToPath(new URL(`./${name}`, import.meta.url));

export const configSchema = z.object({
  JOBS_TABLE: env.table(),
  PROCESSED_BUCKET: env.bucket(),
  FFMPEG_PATH: z
    .string()
    .min(1)
    .default(() => besideBundle('bin/ffmpeg')),
  FFPROBE_PATH: z
    .string()
    .min(1)
    .default(() => besideBundle('bin/ffprobe')),
  /** Silero VAD (MIT), which finds the speech segments. */
  VAD_MODEL_PATH: z
    .string()
    .min(1)
    .default(() => besideBundle('models/silero-vad/silero_vad.onnx')),
  /** No single ffmpeg run may take longer, nor outlive the invocation. */
  FFMPEG_TIMEOUT_SECONDS: env.positiveInt(600),
  /** Longer media is refused after the probe; outputs stop one second past it. */
  MAX_MEDIA_SECONDS: env.positiveInt(3600),
});
export type ExtractConfig = z.infer<typeof configSchema>;
