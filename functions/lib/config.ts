import * as z from 'zod';
import { ConfigurationError } from './errors';

/**
 * Environment keys every function gets from Terraform and from the local Lambda runner,
 * on top of the keys in its own config schema. The service name in the logs is the
 * function's own name (lib/logger.ts), which Lambda sets.
 */
export const COMMON_ENV_KEYS = ['POWERTOOLS_LOG_LEVEL', 'NODE_OPTIONS'] as const;

export type EnvSchema = z.ZodObject<Record<string, z.ZodType>>;

/** Parses process.env against a function's schema; names every missing or bad key. */
export function loadConfig<S extends EnvSchema>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
  throw new ConfigurationError(`Invalid function configuration (${problems}). Set these environment variables.`);
}

/** Caches the parsed config per schema so warm invocations skip the parse. */
export function lazyConfig<S extends EnvSchema>(schema: S): () => z.infer<S> {
  let cached: z.infer<S> | undefined;
  return () => (cached ??= loadConfig(schema));
}

/** Common field types for env schemas. */
export const env = {
  bucket: () => z.string().min(3),
  table: () => z.string().min(1),
  arn: () => z.string().startsWith('arn:'),
  url: () => z.url(),
  positiveInt: (fallback: number) => z.coerce.number().int().positive().default(fallback),
  csv: (fallback: string) =>
    z
      .string()
      .default(fallback)
      .transform((value) =>
        value
          .split(',')
          .map((item) => item.trim().toLowerCase())
          .filter(Boolean),
      ),
};
