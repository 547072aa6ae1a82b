import type { WebConfig } from './config';

/**
 * Who the page calls the API as. Locally: the bearer token `make local` prints (it arrives in
 * the URL fragment, never in a request). In AWS: a Cognito access token from the hosted
 * sign-in, by authorization code with PKCE.
 */

const TOKEN_KEY = 'gorggle.token';
const COGNITO_KEY = 'gorggle.cognito';
const PKCE_KEY = 'gorggle.pkce';

interface StoredToken {
  value: string;
  /** Epoch ms; absent for the local token. */
  expiresAt?: number;
}

function readToken(): StoredToken | undefined {
  try {
    const raw = localStorage.getItem(TOKEN_KEY) ?? sessionStorage.getItem(COGNITO_KEY);
    if (!raw) return undefined;
    const token = JSON.parse(raw) as StoredToken;
    if (token.expiresAt && token.expiresAt < Date.now() + 30_000) return undefined;
    return token;
  } catch {
    return undefined;
  }
}

export function accessToken(): string | undefined {
  return readToken()?.value;
}

/**
 * Forgets the token here. Signing out with Cognito (`endSession`) also ends the hosted
 * sign-in's own session: without that its cookie signs the next person at this browser
 * straight back in. Cognito comes back to the page (the client's logout URL).
 */
export function signOut(config?: WebConfig, { endSession = false } = {}): void {
  localStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(COGNITO_KEY);
  if (endSession && config?.auth.kind === 'cognito') location.assign(cognitoLogoutUrl(config.auth));
}

/** The hosted UI's logout endpoint, returning to the page. */
export function cognitoLogoutUrl(auth: Extract<WebConfig['auth'], { kind: 'cognito' }>): string {
  const url = new URL('/logout', auth.domain);
  url.searchParams.set('client_id', auth.clientId);
  url.searchParams.set('logout_uri', auth.redirectUri);
  return url.href;
}

export function saveLocalToken(value: string): void {
  localStorage.setItem(TOKEN_KEY, JSON.stringify({ value: value.trim() } satisfies StoredToken));
}

/** Picks up a token handed over in the URL (local fragment or Cognito's redirect) and cleans the URL. */
export async function completeSignIn(config: WebConfig): Promise<void> {
  const fragment = new URLSearchParams(location.hash.replace(/^#\/?/, ''));
  const localToken = fragment.get('token');
  if (localToken && config.auth.kind === 'token') {
    saveLocalToken(localToken);
    history.replaceState(null, '', `${location.pathname}#/`);
    return;
  }
  const query = new URLSearchParams(location.search);
  const code = query.get('code');
  if (!code || config.auth.kind !== 'cognito') return;
  const pkce = JSON.parse(sessionStorage.getItem(PKCE_KEY) ?? '{}') as { verifier?: string; state?: string };
  sessionStorage.removeItem(PKCE_KEY);
  history.replaceState(null, '', `${location.pathname}#/`);
  if (!pkce.verifier || pkce.state !== query.get('state')) {
    throw new Error('The sign-in answer does not match the request this page made. Sign in again.');
  }
  const response = await fetch(`${config.auth.domain}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: config.auth.clientId,
      code,
      redirect_uri: config.auth.redirectUri,
      code_verifier: pkce.verifier,
    }),
  });
  if (!response.ok) throw new Error(`Sign-in failed (HTTP ${response.status}). Sign in again.`);
  const tokens = (await response.json()) as { access_token: string; expires_in: number };
  const stored: StoredToken = { value: tokens.access_token, expiresAt: Date.now() + tokens.expires_in * 1000 };
  sessionStorage.setItem(COGNITO_KEY, JSON.stringify(stored));
}

const base64Url = (bytes: ArrayBuffer | Uint8Array) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replaceAll('+', '-')
    .replaceAll('/', '_')
    .replace(/=+$/, '');

/** Sends the browser to Cognito's hosted sign-in. */
export async function startCognitoSignIn(config: WebConfig): Promise<void> {
  if (config.auth.kind !== 'cognito') return;
  const verifier = base64Url(crypto.getRandomValues(new Uint8Array(32)));
  const state = base64Url(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = base64Url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state }));
  const url = new URL(`${config.auth.domain}/oauth2/authorize`);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: config.auth.clientId,
    redirect_uri: config.auth.redirectUri,
    scope: 'openid email',
    code_challenge_method: 'S256',
    code_challenge: challenge,
    state,
  }).toString();
  location.assign(url.toString());
}
