import path from 'node:path';
import type * as z from 'zod';
import { FUNCTIONS_DIR } from '../../../scripts/build/functions';

export interface EnvSchemaFacts {
  /** Every key the function's configSchema reads. */
  keys: readonly string[];
  /** Keys without a default that must be set. */
  required: readonly string[];
}

/** Keys of a function's configSchema, and which of them have no default. */
export async function envSchemaFacts(functionName: string): Promise<EnvSchemaFacts> {
  const { configSchema } = (await import(path.join(FUNCTIONS_DIR, functionName, 'config.ts'))) as {
    configSchema: z.ZodObject<Record<string, z.ZodType>>;
  };
  const keys = Object.keys(configSchema.shape);
  const required = keys.filter((key) => !configSchema.shape[key]!.safeParse(undefined).success);
  return { keys, required };
}
