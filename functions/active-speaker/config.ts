import { fileURLToPath } from 'node:url';
import * as z from 'zod';
import { env } from '../lib/config';

/** scripts/build/functions.ts zips ffmpeg into bin/ and the converted model into models/ beside the bundle. */
const besideBundle = (name: string) => fileURLToPath(new URL(`./${name}`, import.meta.url));

export const configSchema = z.object({
  PROCESSED_BUCKET: env.bucket(),
  FFMPEG_PATH: z
    .string()
    .min(1)
    .default(() => besideBundle('bin/ffmpeg')),
  /** LR-ASD (MIT) as ONNX, with its manifest (lr-asd.json) beside it. */
  LR_ASD_MODEL_PATH: z
    .string()
    .min(1)
    .default(() => besideBundle('models/lr-asd/lr-asd.onnx')),
  /** No single ffmpeg run may take longer, nor outlive the invocation. */
  FFMPEG_TIMEOUT_SECONDS: env.positiveInt(600),
});
export type ActiveSpeakerConfig = z.infer<typeof configSchema>;
