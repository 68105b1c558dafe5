/**
 * A client-credentials token source for service-to-service calls (RFC 6749 §4.4): asks the auth server
 * for a token once, reuses it until shortly before it expires, and coalesces concurrent requests into
 * one token request. The secret travels only in the `Authorization: Basic` header of the token request.
 */
export interface ClientCredentialsOptions {
  /** The auth server's token endpoint, e.g. `http://127.0.0.1:4000/oauth/token`. */
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** Space-separated scopes to ask for (default: all the client's scopes). */
  scope?: string;
  /** RFC 8707 `resource`: the audience the token is for (default: the client's first audience). */
  resource?: string;
  /** Renew this many seconds before expiry (capped at half the lifetime). Default 30. */
  renewBeforeSeconds?: number;
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** epoch ms */
  now?: () => number;
}

export interface ServiceTokenSource {
  /** A valid access token (cached, or freshly fetched). Rejects with {@link ServiceTokenError}. */
  get(): Promise<string>;
  /** Drops `token` from the cache (e.g. a resource server answered 401 to it). */
  invalidate(token: string): void;
}

/** The token endpoint could not be reached or refused the client; the message never contains the secret. */
export class ServiceTokenError extends Error {
  override name = 'ServiceTokenError';
}

/** RFC 6749 §2.3.1: id and secret are form-encoded before being joined and base64-encoded. */
function basicAuth(id: string, secret: string): string {
  const enc = (s: string): string => encodeURIComponent(s).replaceAll('%20', '+');
  return `Basic ${Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64')}`;
}

export function clientCredentialsTokenSource(options: ClientCredentialsOptions): ServiceTokenSource {
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const renewBefore = options.renewBeforeSeconds ?? 30;
  let cached: { token: string; renewAt: number } | null = null;
  let pending: Promise<string> | null = null;

  async function request(): Promise<string> {
    const body = new URLSearchParams({ grant_type: 'client_credentials' });
    if (options.scope !== undefined) body.set('scope', options.scope);
    if (options.resource !== undefined) body.set('resource', options.resource);
    const started = now();
    let res: Response;
    try {
      res = await doFetch(options.tokenUrl, {
        method: 'POST',
        headers: {
          authorization: basicAuth(options.clientId, options.clientSecret),
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body,
        signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
      });
    } catch {
      throw new ServiceTokenError('the token endpoint is unreachable');
    }
    let json: unknown;
    try {
      json = await res.json();
    } catch {
      json = null;
    }
    const data = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
    if (!res.ok) {
      const code = typeof data['error'] === 'string' ? data['error'].slice(0, 64) : `HTTP ${res.status}`;
      throw new ServiceTokenError(`the token endpoint refused the client (${code})`);
    }
    const token = data['access_token'];
    const expiresIn = data['expires_in'];
    const type = data['token_type'];
    if (typeof token !== 'string' || typeof expiresIn !== 'number' || !(expiresIn > 0) || typeof type !== 'string' || type.toLowerCase() !== 'bearer') {
      throw new ServiceTokenError('the token endpoint answered with an unexpected body');
    }
    // Count from when we asked, not when the answer arrived, and renew early enough that a token
    // never expires in flight.
    const margin = Math.min(renewBefore, expiresIn / 2);
    cached = { token, renewAt: started + (expiresIn - margin) * 1000 };
    return token;
  }

  return {
    get() {
      if (cached !== null && now() < cached.renewAt) return Promise.resolve(cached.token);
      pending ??= request().finally(() => {
        pending = null;
      });
      return pending;
    },
    invalidate(token) {
      if (cached?.token === token) cached = null;
    },
  };
}
