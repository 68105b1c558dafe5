import { base64url } from 'jose';
import { ACCESS_TOKEN_TYP } from './defaults.js';
import {
  TokenAlgorithmNotAllowedError,
  TokenHeaderInvalidError,
  TokenMalformedError,
} from './errors.js';

/** The JOSE header fields the verifier relies on after inspection. */
export interface InspectedHeader {
  readonly alg: string;
  readonly kid: string;
}

/** An inspected token: its accepted header and its segments, ready for the signature check. */
export interface InspectedToken extends InspectedHeader {
  readonly token: string;
  readonly signingInput: string;
  readonly payload: string;
  readonly signature: string;
}

/**
 * Accepted headers by their encoded segment. Every token from one signing key carries the same
 * header segment, so the JSON parse and header checks run once per key, not once per token. Only
 * accepted headers are remembered, and the map is bounded (cleared when full).
 */
export type HeaderCache = Map<string, InspectedHeader>;
const HEADER_CACHE_MAX = 64;

const SEGMENT = /^[A-Za-z0-9_-]+$/;
// Header parameters that point at, or embed, key material chosen by the token's author
// (RFC 7515 §4.1.2–4.1.6) or change how the payload is read (RFC 7797 `b64`). Never honoured.
const REFUSED_HEADER_PARAMS = ['jku', 'jwk', 'x5u', 'x5c', 'b64'] as const;
const fatalDecoder = new TextDecoder('utf-8', { fatal: true });

function decodeJsonObject(segment: string, what: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fatalDecoder.decode(base64url.decode(segment)));
  } catch {
    throw new TokenMalformedError(`The access token ${what} is not base64url-encoded JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new TokenMalformedError(`The access token ${what} is not a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * True when `segment` (already known to be base64url characters) is the one canonical spelling of
 * its bytes, i.e. `encode(decode(segment)) === segment`, in O(1): a length of 1 mod 4 decodes to
 * nothing valid, and the bits of the last character that carry no data must be zero.
 */
function isCanonical(segment: string): boolean {
  const rest = segment.length % 4;
  if (rest === 0) return true;
  if (rest === 1) return false;
  const value = ALPHABET.indexOf(segment.charAt(segment.length - 1));
  return (value & (rest === 2 ? 0x0f : 0x03)) === 0;
}

function normalizeTyp(typ: string): string {
  const lower = typ.toLowerCase();
  return lower.startsWith('application/') ? lower.slice('application/'.length) : lower;
}

function inspectHeader(h: string, algorithms: readonly string[]): InspectedHeader {
  const header = decodeJsonObject(h, 'header');

  const alg = header['alg'];
  if (typeof alg !== 'string' || !algorithms.includes(alg)) throw new TokenAlgorithmNotAllowedError();

  const typ = header['typ'];
  if (typeof typ !== 'string' || normalizeTyp(typ) !== ACCESS_TOKEN_TYP) {
    throw new TokenHeaderInvalidError('The access token header "typ" must be at+jwt');
  }
  for (const param of REFUSED_HEADER_PARAMS) {
    if (Object.hasOwn(header, param)) {
      throw new TokenHeaderInvalidError(`The access token header parameter "${param}" is not accepted`);
    }
  }
  // No extensions are understood, so any `crit` is unknown (RFC 7515 §4.1.11: must reject).
  if (Object.hasOwn(header, 'crit')) {
    throw new TokenHeaderInvalidError('The access token header "crit" is not accepted');
  }
  const kid = header['kid'];
  if (typeof kid !== 'string' || kid.length === 0 || kid.length > 256) {
    throw new TokenHeaderInvalidError('The access token header "kid" is missing or invalid');
  }
  return { alg, kid };
}

/**
 * Checks what can be checked before touching a key: size, compact-JWS shape, then the protected
 * header (`alg` allow-list, `typ`, `kid`, no key-pointing or `crit` parameters). Cheap and strict,
 * so hostile input is refused before any crypto or network work. `headerCache` must belong to one
 * verifier (its result depends on `algorithms`).
 */
export function inspectToken(
  token: string,
  algorithms: readonly string[],
  maxTokenBytes: number,
  headerCache?: HeaderCache,
): InspectedToken {
  if (token.length > maxTokenBytes) throw new TokenMalformedError('The access token is too large');
  const first = token.indexOf('.');
  const second = first === -1 ? -1 : token.indexOf('.', first + 1);
  if (second === -1 || token.indexOf('.', second + 1) !== -1) {
    throw new TokenMalformedError('The access token is not a compact JWS');
  }
  const h = token.slice(0, first);
  const p = token.slice(first + 1, second);
  const s = token.slice(second + 1);
  // A header segment found in the cache passed every check below once already (only accepted
  // headers are remembered), so its character and canonical-form tests are not repeated.
  const cached = headerCache?.get(h);
  if ((cached === undefined && !SEGMENT.test(h)) || !SEGMENT.test(p) || (s.length > 0 && !SEGMENT.test(s))) {
    throw new TokenMalformedError('The access token is not a compact JWS');
  }
  // Only the canonical encoding is accepted: otherwise the unused low bits of a segment's last
  // character give one signed token many spellings (RFC 4648 §3.5), defeating caches and deny-lists.
  if ((cached === undefined && !isCanonical(h)) || !isCanonical(p) || !isCanonical(s)) {
    throw new TokenMalformedError('The access token is not canonical base64url');
  }
  let header = cached;
  if (header === undefined) {
    header = inspectHeader(h, algorithms);
    if (headerCache !== undefined) {
      if (headerCache.size >= HEADER_CACHE_MAX) headerCache.clear();
      headerCache.set(h, header);
    }
  }
  if (s.length === 0) throw new TokenMalformedError('The access token has no signature');
  return { alg: header.alg, kid: header.kid, token, signingInput: token.slice(0, second), payload: p, signature: s };
}
