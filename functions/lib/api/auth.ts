import { timingSafeEqual } from 'node:crypto';
import { ADMINS_GROUP, type Caller } from '../access/ownership';
import { ApiError } from './http';

export type { Caller } from '../access/ownership';

/** The parts of an API Gateway payload 2.0 event that authentication reads. */
export interface AuthenticatedEvent {
  headers?: Record<string, string | undefined>;
  requestContext?: { authorizer?: { jwt?: { claims?: Record<string, unknown> } } };
}

/** Locally the bearer token is the operator's, who sees every job. */
export const LOCAL_OPERATOR: Caller = { subject: 'local-operator', groups: [ADMINS_GROUP], via: 'local-token' };

/**
 * `cognito:groups` as the HTTP API's JWT authorizer hands it over: a list, or the list
 * flattened to a string such as "[admins editors]".
 */
export function groupsOfClaim(claim: unknown): string[] {
  const items = Array.isArray(claim)
    ? claim
    : typeof claim === 'string'
      ? claim.replace(/^\[|\]$/g, '').split(/[\s,]+/)
      : [];
  return items.filter((item): item is string => typeof item === 'string' && item.length > 0);
}

const unauthorized = (message: string) => new ApiError(401, 'UNAUTHORIZED', message);

/**
 * Who is calling. In AWS the HTTP API's JWT authorizer has already verified a Cognito token
 * and put its claims in the event; nothing else in the request is believed (a JWT in the
 * header is only a string here), and a request without claims came through a route that lost
 * its authorizer, and is refused. Locally there is no authorizer: a bearer token from the
 * function's configuration stands in for it, and names the operator.
 */
export function authenticate(event: AuthenticatedEvent, localToken: string | undefined): Caller {
  const claims = event.requestContext?.authorizer?.jwt?.claims;
  const subject = claims?.sub;
  if (typeof subject === 'string' && subject) {
    return { subject, groups: groupsOfClaim(claims?.['cognito:groups']), via: 'jwt' };
  }

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
  return LOCAL_OPERATOR;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
