import { timingSafeEqual } from 'node:crypto';
import { ApiError } from './http';

/** The parts of an API Gateway payload 2.0 event that authentication reads. */
export interface AuthenticatedEvent {
  headers?: Record<string, string | undefined>;
  requestContext?: { authorizer?: { jwt?: { claims?: Record<string, unknown> } } };
}

export interface Caller {
  subject: string;
  via: 'jwt' | 'local-token';
}

const unauthorized = (message: string) => new ApiError(401, 'UNAUTHORIZED', message);

/**
 * Who is calling. In AWS the HTTP API's JWT authorizer has already verified a Cognito token
 * and put its claims in the event; a request without them came through a route that lost
 * its authorizer, and is refused. Locally there is no authorizer: a bearer token from the
 * function's configuration stands in for it.
 */
export function authenticate(event: AuthenticatedEvent, localToken: string | undefined): Caller {
  const subject = event.requestContext?.authorizer?.jwt?.claims?.sub;
  if (typeof subject === 'string' && subject) return { subject, via: 'jwt' };

  const header = event.headers?.authorization ?? event.headers?.Authorization;
  if (!localToken) {
    throw unauthorized('This API needs a signed-in user. Sign in on the web page and try again.');
  }
  if (!header) {
    throw unauthorized('The request has no Authorization header. Send "Authorization: Bearer <token>".');
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match?.[1] || !sameSecret(match[1], localToken)) {
    throw unauthorized('The bearer token is wrong. Use the token that `make local` printed.');
  }
  return { subject: 'local', via: 'local-token' };
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
