import type * as z from 'zod';
import { ApiError } from './http';

/** A 400 that lists what was wrong, the first few problems with their paths. */
export function invalid(what: string, error: z.ZodError): ApiError {
  const problems = error.issues
    .slice(0, 5)
    .map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
  return new ApiError(400, 'INVALID_REQUEST', `The ${what} is not valid (${problems}). Fix it and send it again.`);
}

/** Parses a request part with its schema, or answers 400 naming it. */
export function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalid(what, parsed.error);
  return parsed.data;
}
