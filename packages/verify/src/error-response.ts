import { REALM } from './defaults.js';
import { ConfigError, InsufficientScopeError, LatchkeyError } from './errors.js';

/** The wire shape of an error: what an adapter sends. */
export interface ErrorResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: { readonly error: string; readonly error_description: string };
}

// RFC 6750 §3: attribute values are quoted-strings limited to printable ASCII without '"' and '\'.
function quoted(value: string): string {
  return `"${value.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '')}"`;
}

/**
 * Maps an error to `{status, headers, body}`: RFC 6750 `WWW-Authenticate` on 401 and scope 403s,
 * JSON `{error, error_description}` always. Anything that is not a {@link LatchkeyError} becomes a
 * generic 500 that reveals nothing.
 *
 * @example
 * ```ts
 * const { status, headers, body } = errorResponse(err);
 * res.writeHead(status, headers).end(JSON.stringify(body));
 * ```
 */
export function errorResponse(err: unknown): ErrorResponse {
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
  };
  if (!(err instanceof LatchkeyError) || err instanceof ConfigError) {
    return { status: 500, headers, body: { error: 'internal_error', error_description: 'Internal server error' } };
  }
  const description = err.message;
  if (err.status === 401 || err.bearerError !== undefined) {
    const params = [`realm=${quoted(REALM)}`];
    if (err.bearerError !== undefined) {
      params.push(`error=${quoted(err.bearerError)}`, `error_description=${quoted(description)}`);
      if (err instanceof InsufficientScopeError) params.push(`scope=${quoted(err.scopes.join(' '))}`);
    }
    headers['www-authenticate'] = `Bearer ${params.join(', ')}`;
  }
  return { status: err.status, headers, body: { error: err.code, error_description: description } };
}
