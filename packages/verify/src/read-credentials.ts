import { ACCESS_TOKEN_COOKIE } from './defaults.js';
import { InvalidRequestError, MissingCredentialsError } from './errors.js';
import { headerValues, type HeadersLike } from './headers.js';

/** Where the access token came from. */
export type CredentialSource = 'bearer' | 'cookie';

/** The raw token and its source. */
export interface Credential {
  readonly token: string;
  readonly source: CredentialSource;
}

// A JWS compact token is base64url segments separated by dots (RFC 7515 §7.1).
const TOKEN_CHARSET = /^[A-Za-z0-9_\-.]+$/;

/**
 * Splits a Cookie header into name/value pairs. Hostile input never throws: pairs without "=" are
 * skipped, values keep their bytes (only surrounding double quotes are removed, RFC 6265 §4.1.1).
 */
export function parseCookieHeader(header: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (name.length > 0) pairs.push([name, value]);
  }
  return pairs;
}

function readBearer(values: string[]): Credential {
  if (values.length !== 1) throw new InvalidRequestError('Exactly one Authorization header is allowed');
  const value = (values[0] ?? '').trim();
  const space = value.search(/[ \t]/);
  const scheme = space === -1 ? value : value.slice(0, space);
  // RFC 6750 §2.1 / RFC 9110 §11.1: the scheme name is case-insensitive.
  if (scheme.toLowerCase() !== 'bearer') {
    throw new InvalidRequestError('The Authorization scheme must be Bearer');
  }
  const token = space === -1 ? '' : value.slice(space + 1).trim();
  if (token.length === 0) throw new InvalidRequestError('The Bearer credentials are empty');
  if (!TOKEN_CHARSET.test(token)) {
    throw new InvalidRequestError('The Bearer credentials must be exactly one token of base64url segments');
  }
  return { token, source: 'bearer' };
}

function readCookie(headers: HeadersLike): Credential | undefined {
  const found: string[] = [];
  for (const header of headerValues(headers, 'cookie')) {
    for (const [name, value] of parseCookieHeader(header)) {
      if (name === ACCESS_TOKEN_COOKIE) found.push(value);
    }
  }
  // Two cookies of the same name mean someone planted one (cookie tossing): trust neither.
  if (found.length > 1) throw new InvalidRequestError(`The ${ACCESS_TOKEN_COOKIE} cookie is repeated`);
  const token = found[0];
  if (token === undefined || token.length === 0) return undefined;
  if (!TOKEN_CHARSET.test(token)) throw new InvalidRequestError(`The ${ACCESS_TOKEN_COOKIE} cookie is malformed`);
  return { token, source: 'cookie' };
}

/**
 * Reads the access token: `Authorization: Bearer` wins over the `__Host-lk_at` cookie; a
 * present-but-malformed `Authorization` header is refused rather than falling back to the cookie.
 */
export function readCredentials(headers: HeadersLike): Credential {
  const authorization = headerValues(headers, 'authorization');
  if (authorization.length > 0) return readBearer(authorization);
  const cookie = readCookie(headers);
  if (cookie === undefined) throw new MissingCredentialsError();
  return cookie;
}
