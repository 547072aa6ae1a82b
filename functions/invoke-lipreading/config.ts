import * as z from 'zod';
import { env } from '../lib/config';

/** Terraform writes "" for an unset optional variable. */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

export const configSchema = z
  .object({
    JOBS_TABLE: env.table(),
    PROCESSED_BUCKET: env.bucket(),
    /** "false" when the deployment has no GPU server (Terraform's enable_lipreading): lip reading is skipped. */
    LIPREADING_ENABLED: z.enum(['true', 'false']).default('true'),
    /** A fixed server (the local stack); when set, no AWS call is made to find it. */
    AVHUBERT_ENDPOINT: optional(env.url()),
    /** The Auto Scaling group of the GPU server, scaled from 0 to 1 when a job needs it. */
    AVHUBERT_ASG_NAME: optional(z.string().regex(/^[\w.:/-]{1,255}$/, 'an Auto Scaling group name')),
    /** s3://bucket/key of the model package's manifest.json; while it is missing the GPU is not woken. */
    AVHUBERT_MODEL_MANIFEST: optional(
      z.string().regex(/^s3:\/\/[^/]+\/.+\/manifest\.json$/, 's3://bucket/prefix/manifest.json'),
    ),
    AVHUBERT_PORT: env.positiveInt(8080),
    /** SSM SecureString with the server's shared secret (Terraform creates it, write-only). */
    AVHUBERT_SECRET_PARAMETER: optional(z.string().regex(/^\/[\w./-]+$/, 'must be an SSM parameter name')),
    /** The secret itself: the local stack's stand-in for the parameter. */
    AVHUBERT_SECRET: optional(z.string().min(32, 'must be at least 32 characters')),
    AVHUBERT_WARMUP_MAX_SECONDS: env.positiveInt(900),
    POLL_INTERVAL_SECONDS: env.positiveInt(10),
  })
  .refine((config) => config.LIPREADING_ENABLED === 'false' || config.AVHUBERT_ENDPOINT || config.AVHUBERT_ASG_NAME, {
    message:
      'set AVHUBERT_ENDPOINT (a fixed server) or AVHUBERT_ASG_NAME (a GPU group to scale up), or LIPREADING_ENABLED=false',
    path: ['AVHUBERT_ENDPOINT'],
  })
  .refine(
    (config) => config.LIPREADING_ENABLED === 'false' || config.AVHUBERT_SECRET_PARAMETER || config.AVHUBERT_SECRET,
    {
      message: "set AVHUBERT_SECRET_PARAMETER (the SSM parameter with the lip-reading server's shared secret)",
      path: ['AVHUBERT_SECRET_PARAMETER'],
    },
  );
