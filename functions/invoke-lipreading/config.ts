import * as z from 'zod';
import { env } from '../lib/config';

/** Terraform writes "" for an unset optional variable. */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

export const configSchema = z
  .object({
    JOBS_TABLE: env.table(),
    PROCESSED_BUCKET: env.bucket(),
    /** A fixed server (the local stack); when set, no EC2 call is made. */
    AVHUBERT_ENDPOINT: optional(env.url()),
    /** key=value tag of the GPU instance to wake on demand, e.g. gorggle:role=avhubert. */
    AVHUBERT_INSTANCE_TAG: optional(z.string().regex(/^[^=]+=.+$/, 'use key=value, e.g. gorggle:role=avhubert')),
    AVHUBERT_PORT: env.positiveInt(8080),
    /** SSM SecureString with the server's shared secret (Terraform creates it, write-only). */
    AVHUBERT_SECRET_PARAMETER: optional(z.string().regex(/^\/[\w./-]+$/, 'must be an SSM parameter name')),
    /** The secret itself: the local stack's stand-in for the parameter. */
    AVHUBERT_SECRET: optional(z.string().min(32, 'must be at least 32 characters')),
    AVHUBERT_WARMUP_MAX_SECONDS: env.positiveInt(600),
    POLL_INTERVAL_SECONDS: env.positiveInt(10),
  })
  .refine((config) => config.AVHUBERT_ENDPOINT || config.AVHUBERT_INSTANCE_TAG, {
    message: 'set AVHUBERT_ENDPOINT (a fixed server) or AVHUBERT_INSTANCE_TAG (an EC2 instance to wake)',
    path: ['AVHUBERT_ENDPOINT'],
  })
  .refine((config) => config.AVHUBERT_SECRET_PARAMETER || config.AVHUBERT_SECRET, {
    message: "set AVHUBERT_SECRET_PARAMETER (the SSM parameter with the lip-reading server's shared secret)",
    path: ['AVHUBERT_SECRET_PARAMETER'],
  });
