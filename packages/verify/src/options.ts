import { base64url, type JSONWebKeySet } from 'jose';
import type { AccessTokenClaims } from './claims.js';
import { ConfigError } from './errors.js';
import { DEFAULTS, SUPPORTED_ALGORITHMS, type Algorithm } from './defaults.js';
import type { RevocationFailurePolicy, RevocationLogEvent, RevocationOptions, RevocationTransport } from './revocation-types.js';

/** A `fetch`-compatible function (used for the JWKS request). */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/**
 * Decides whether verified claims have been revoked (e.g. their `sid` is on a revocation feed).
 * Called after every successful verification, cache hits included. Throwing fails closed with
 * `revocation_unavailable` (503). Keep it fast and synchronous where possible.
 */
export type RevocationCheck = (claims: AccessTokenClaims) => boolean | Promise<boolean>;

/** The verified-token cache (a feature object so it can grow). */
export interface TokenCacheOptions {
  /** Default true. */
  enabled?: boolean;
  /** Most tokens kept, 1..10000000 (default 10000). */
  maxEntries?: number;
  /** Approximate memory bound in bytes, 65536..17179869184 (default 33554432, 32 MiB). */
  maxBytes?: number;
}

/** {@link TokenCacheOptions} after validation. */
export interface ResolvedTokenCacheOptions {
  readonly enabled: boolean;
  readonly maxEntries: number;
  readonly maxBytes: number;
}

/**
 * Options of {@link createVerifier}. `issuer`, `audience` and one of `jwksUri`/`jwks` are required.
 *
 * @example
 * ```ts
 * createVerifier({
 *   issuer: 'http://localhost:8080',
 *   audience: 'shop-api',
 *   jwksUri: 'http://127.0.0.1:4000/.well-known/jwks.json',
 * });
 * ```
 */
export interface VerifierOptions {
  /** Expected `iss`, exact match. */
  issuer: string;
  /** Accepted audience(s): the token's `aud` must contain one of them. */
  audience: string | readonly string[];
  /** URL of the JWKS to fetch keys from (http or https). Exclusive with `jwks`. */
  jwksUri?: string | URL;
  /** A local key set of public keys. Exclusive with `jwksUri`. */
  jwks?: JSONWebKeySet;
  /** `alg` allow-list, a subset of `ES256`, `EdDSA`, `RS256` (default: all three). */
  algorithms?: readonly Algorithm[];
  /** Clock skew tolerated on `exp`/`nbf`/`iat`, seconds, 0..300 (default 30). */
  clockSkewSeconds?: number;
  /** Maximum `exp - iat`, seconds, 1..86400 (default 3600). */
  maxTokenLifetimeSeconds?: number;
  /** If set, a cookie-authenticated unsafe request whose `Origin` is present must be one of these. */
  trustedOrigins?: readonly string[];
  /** `fetch` used for the JWKS (default: the global `fetch`). */
  fetch?: FetchLike;
  /** Clock for claim checks, epoch milliseconds (default `Date.now`). */
  now?: () => number;
  /** JWKS request timeout, ms, 1..60000 (default 5000). */
  jwksTimeoutMs?: number;
  /** JWKS cache lifetime, ms, 0..86400000 (default 600000). */
  jwksCacheMaxAgeMs?: number;
  /** Minimum time between refetches caused by an unknown `kid`, ms, 0..86400000 (default 30000). */
  jwksCooldownMs?: number;
  /** Largest accepted token in bytes, 256..65536 (default 8192). */
  maxTokenBytes?: number;
  /**
   * Cache of verified tokens keyed on the whole token: a token seen again skips the signature, but
   * `exp`/`nbf`/`iat` (with skew) and `isRevoked` are checked on every hit, and entries die with a
   * key-set change. `{ enabled: false }` turns it off. CSRF and same-site checks are never cached.
   */
  tokenCache?: TokenCacheOptions;
  /** Revocation hook, see {@link RevocationCheck}. */
  isRevoked?: RevocationCheck;
  /**
   * Follow a revocation feed and refuse revoked sessions' tokens (`token_revoked`) within about a
   * second of logout. Starts when the verifier is created; call `verifier.close()` to stop it.
   */
  revocation?: RevocationOptions;
}

/** Revocation options after validation. */
export interface ResolvedRevocationOptions {
  readonly url: URL | undefined;
  readonly token: string | undefined;
  readonly transport: RevocationTransport | undefined;
  readonly failurePolicy: RevocationFailurePolicy;
  readonly failClosedAfterMs: number;
  readonly reconnectMinMs: number;
  readonly reconnectMaxMs: number;
  readonly idleTimeoutMs: number;
  readonly log: (event: RevocationLogEvent) => void;
}

/** Options after validation and defaults, frozen. */
export interface ResolvedOptions {
  readonly issuer: string;
  readonly audience: readonly string[];
  readonly jwksUri: URL | undefined;
  readonly jwks: JSONWebKeySet | undefined;
  readonly algorithms: readonly Algorithm[];
  readonly clockSkewSeconds: number;
  readonly maxTokenLifetimeSeconds: number;
  readonly trustedOrigins: readonly string[] | undefined;
  readonly fetch: FetchLike | undefined;
  readonly now: () => number;
  readonly jwksTimeoutMs: number;
  readonly jwksCacheMaxAgeMs: number;
  readonly jwksCooldownMs: number;
  readonly maxTokenBytes: number;
  readonly revocation: ResolvedRevocationOptions | undefined;
  readonly tokenCache: ResolvedTokenCacheOptions;
  readonly isRevoked: RevocationCheck | undefined;
}

const KNOWN_KEYS: ReadonlySet<string> = new Set([
  'issuer', 'audience', 'jwksUri', 'jwks', 'algorithms', 'clockSkewSeconds',
  'maxTokenLifetimeSeconds', 'trustedOrigins', 'fetch', 'now', 'jwksTimeoutMs',
  'jwksCacheMaxAgeMs', 'jwksCooldownMs', 'maxTokenBytes', 'tokenCache', 'isRevoked', 'revocation',
]);

const REVOCATION_KEYS: ReadonlySet<string> = new Set([
  'url', 'token', 'transport', 'failurePolicy', 'failClosedAfterMs', 'reconnectMinMs', 'reconnectMaxMs', 'idleTimeoutMs', 'log',
]);

function resolveRevocation(value: unknown): ResolvedRevocationOptions | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('revocation', 'must be an object');
  const r = value as Record<string, unknown>;
  for (const key of Object.keys(r)) {
    if (!REVOCATION_KEYS.has(key)) fail(`revocation.${key}`, 'unknown option');
  }
  let url: URL | undefined;
  if (r['url'] !== undefined) {
    try {
      url = new URL(r['url'] instanceof URL ? r['url'].href : nonEmptyString('revocation.url', r['url']));
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      fail('revocation.url', 'must be an absolute URL');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') fail('revocation.url', 'must be an http(s) URL');
  }
  const transport = r['transport'];
  if (transport !== undefined && (typeof transport !== 'object' || transport === null || typeof (transport as RevocationTransport).connect !== 'function')) {
    fail('revocation.transport', 'must be a RevocationTransport ({ name, connect })');
  }
  if ((url === undefined) === (transport === undefined)) fail('revocation.url', 'exactly one of "url" and "transport" must be set');
  const token = r['token'] === undefined ? undefined : nonEmptyString('revocation.token', r['token']);
  if (token !== undefined && !/^[\x21-\x7e]+$/.test(token)) fail('revocation.token', 'must be printable ASCII without spaces');
  const policy = r['failurePolicy'] ?? 'open';
  if (policy !== 'open' && policy !== 'closed') fail('revocation.failurePolicy', 'must be "open" or "closed"');
  const reconnectMinMs = boundedNumber('revocation.reconnectMinMs', r['reconnectMinMs'], 250, 10, 60_000, true);
  const reconnectMaxMs = boundedNumber('revocation.reconnectMaxMs', r['reconnectMaxMs'], Math.max(10_000, reconnectMinMs), 10, 300_000, true);
  if (reconnectMaxMs < reconnectMinMs) fail('revocation.reconnectMaxMs', 'must not be below reconnectMinMs');
  return Object.freeze({
    url,
    token,
    transport: transport as RevocationTransport | undefined,
    failurePolicy: policy,
    failClosedAfterMs: boundedNumber('revocation.failClosedAfterMs', r['failClosedAfterMs'], 5000, 0, 300_000, true),
    reconnectMinMs,
    reconnectMaxMs,
    idleTimeoutMs: boundedNumber('revocation.idleTimeoutMs', r['idleTimeoutMs'], 45_000, 1000, 600_000, true),
    log: optionalFunction<(event: RevocationLogEvent) => void>('revocation.log', r['log']) ?? (() => {}),
  });
}

const TOKEN_CACHE_KEYS: ReadonlySet<string> = new Set(['enabled', 'maxEntries', 'maxBytes']);

function fail(option: string, why: string): never {
  throw new ConfigError(`Invalid verifier option "${option}": ${why}`);
}

function nonEmptyString(option: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) {
    fail(option, 'must be a non-empty string of at most 2048 characters');
  }
  return value;
}

function boundedNumber(option: string, value: unknown, fallback: number, min: number, max: number, integer: boolean): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    fail(option, `must be a finite number between ${min} and ${max}`);
  }
  if (integer && !Number.isInteger(value)) fail(option, 'must be an integer');
  return value;
}

function optionalFunction<T>(option: string, value: unknown): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') fail(option, 'must be a function');
  return value as T;
}

function resolveAudience(value: unknown): readonly string[] {
  if (typeof value === 'string') return Object.freeze([nonEmptyString('audience', value)]);
  if (!Array.isArray(value) || value.length === 0) {
    fail('audience', 'must be a non-empty string or a non-empty array of strings');
  }
  return Object.freeze(value.map((v: unknown) => nonEmptyString('audience', v)));
}

function resolveAlgorithms(value: unknown): readonly Algorithm[] {
  if (value === undefined) return DEFAULTS.algorithms;
  if (!Array.isArray(value) || value.length === 0) fail('algorithms', 'must be a non-empty array');
  const supported: readonly string[] = SUPPORTED_ALGORITHMS;
  for (const alg of value as unknown[]) {
    if (typeof alg !== 'string' || !supported.includes(alg)) {
      // `none` and HMAC are refused by name: with a public JWKS, HS* would let anyone sign.
      fail('algorithms', `only ${SUPPORTED_ALGORITHMS.join(', ')} are allowed (never none or HMAC), got ${JSON.stringify(alg)}`);
    }
  }
  return Object.freeze([...new Set(value as Algorithm[])]);
}

function resolveJwksUri(value: unknown): URL | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value instanceof URL ? value.href : nonEmptyString('jwksUri', value));
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    fail('jwksUri', 'must be an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') fail('jwksUri', 'must be an http(s) URL');
  return url;
}

// Below this an RSA key is factorable with public effort; jose also refuses it at verification.
const MIN_RSA_BITS = 2048;

/** Bit length of a JWK's base64url `n`, or 0 when it is not one. */
function rsaModulusBits(n: unknown): number {
  if (typeof n !== 'string' || !/^[A-Za-z0-9_-]+$/.test(n)) return 0;
  let bytes: Uint8Array;
  try {
    bytes = base64url.decode(n);
  } catch {
    return 0;
  }
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  if (i === bytes.length) return 0;
  return (bytes.length - i - 1) * 8 + (32 - Math.clz32(bytes[i] ?? 0));
}

function resolveJwks(value: unknown): JSONWebKeySet | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || !Array.isArray((value as { keys?: unknown }).keys)) {
    fail('jwks', 'must be a JSON Web Key Set ({ keys: [...] })');
  }
  const keys = (value as { keys: unknown[] }).keys;
  for (const key of keys) {
    if (typeof key !== 'object' || key === null) fail('jwks', 'every key must be an object');
    const k = key as Record<string, unknown>;
    if (k['kty'] === 'oct') fail('jwks', 'symmetric (oct) keys are not allowed');
    if ('d' in k) fail('jwks', 'private keys must not be given to a verifier');
    if (k['kty'] === 'RSA' && rsaModulusBits(k['n']) < MIN_RSA_BITS) {
      fail('jwks', `RSA keys must have at least ${MIN_RSA_BITS} bits (NIST SP 800-131A)`);
    }
  }
  return structuredClone(value as JSONWebKeySet);
}

function resolveTrustedOrigins(value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) fail('trustedOrigins', 'must be an array of origins');
  return Object.freeze(
    value.map((v: unknown) => {
      const s = nonEmptyString('trustedOrigins', v);
      let origin: string;
      try {
        origin = new URL(s).origin;
      } catch {
        fail('trustedOrigins', `${JSON.stringify(s)} is not an origin`);
      }
      if (origin === 'null' || origin !== s.replace(/\/$/, '')) {
        fail('trustedOrigins', `${JSON.stringify(s)} is not an origin (scheme://host[:port])`);
      }
      return origin;
    }),
  );
}

function resolveTokenCache(value: unknown): ResolvedTokenCacheOptions {
  const d = DEFAULTS.tokenCache;
  if (value === undefined) return d;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail('tokenCache', 'must be an object ({ enabled, maxEntries, maxBytes })');
  }
  const o = value as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!TOKEN_CACHE_KEYS.has(key)) fail(`tokenCache.${key}`, 'unknown option');
  }
  const enabled = o['enabled'] ?? d.enabled;
  if (typeof enabled !== 'boolean') fail('tokenCache.enabled', 'must be a boolean');
  return Object.freeze({
    enabled,
    maxEntries: boundedNumber('tokenCache.maxEntries', o['maxEntries'], d.maxEntries, 1, 10_000_000, true),
    maxBytes: boundedNumber('tokenCache.maxBytes', o['maxBytes'], d.maxBytes, 65_536, 17_179_869_184, true),
  });
}

/** Validates options once, applies defaults and freezes the result. Throws {@link ConfigError}. */
export function resolveOptions(input: unknown): ResolvedOptions {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ConfigError('Verifier options must be an object');
  }
  const o = input as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!KNOWN_KEYS.has(key)) fail(key, 'unknown option');
  }
  const jwksUri = resolveJwksUri(o['jwksUri']);
  const jwks = resolveJwks(o['jwks']);
  if ((jwksUri === undefined) === (jwks === undefined)) {
    fail('jwksUri', 'exactly one of "jwksUri" and "jwks" must be set');
  }
  const now = optionalFunction<() => number>('now', o['now']) ?? Date.now;
  return Object.freeze({
    issuer: nonEmptyString('issuer', o['issuer']),
    audience: resolveAudience(o['audience']),
    jwksUri,
    jwks,
    algorithms: resolveAlgorithms(o['algorithms']),
    clockSkewSeconds: boundedNumber('clockSkewSeconds', o['clockSkewSeconds'], DEFAULTS.clockSkewSeconds, 0, 300, false),
    maxTokenLifetimeSeconds: boundedNumber('maxTokenLifetimeSeconds', o['maxTokenLifetimeSeconds'], DEFAULTS.maxTokenLifetimeSeconds, 1, 86_400, false),
    trustedOrigins: resolveTrustedOrigins(o['trustedOrigins']),
    fetch: optionalFunction<FetchLike>('fetch', o['fetch']),
    now,
    jwksTimeoutMs: boundedNumber('jwksTimeoutMs', o['jwksTimeoutMs'], DEFAULTS.jwksTimeoutMs, 1, 60_000, true),
    jwksCacheMaxAgeMs: boundedNumber('jwksCacheMaxAgeMs', o['jwksCacheMaxAgeMs'], DEFAULTS.jwksCacheMaxAgeMs, 0, 86_400_000, false),
    jwksCooldownMs: boundedNumber('jwksCooldownMs', o['jwksCooldownMs'], DEFAULTS.jwksCooldownMs, 0, 86_400_000, false),
    maxTokenBytes: boundedNumber('maxTokenBytes', o['maxTokenBytes'], DEFAULTS.maxTokenBytes, 256, 65_536, true),
    revocation: resolveRevocation(o['revocation']),
    tokenCache: resolveTokenCache(o['tokenCache']),
    isRevoked: optionalFunction<RevocationCheck>('isRevoked', o['isRevoked']),
  });
}
