import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  errors,
  type FetchImplementation,
  type JWTVerifyGetKey,
} from 'jose';
import {
  ConfigError,
  KeysUnavailableError,
  LatchkeyError,
  TokenAlgorithmNotAllowedError,
  TokenKeyUnknownError,
} from './errors.js';
import type { ResolvedOptions } from './options.js';

/**
 * The verifier's key set. jose stays the one authority on fetching (timeout, max age, cooldown) and
 * on selecting a key for a header (`kid`, `alg` → `kty`/`crv`, `use`, `key_ops`, one match only);
 * backends and caches only memoize its answers, tagged with {@link KeySet.generation}.
 */
export interface KeySet {
  /** jose's key resolver, with failures mapped to coded errors. */
  readonly getKey: JWTVerifyGetKey;
  /**
   * Changes whenever the set of keys may have changed (a refetch brought a different JWKS). Anything
   * derived from a key (an imported key, a verified token) is only trusted under the same generation.
   */
  generation(): number;
  /** False once the cached JWKS is past its max age: the next `getKey` refetches first. */
  fresh(): boolean;
}

/**
 * Maps key-lookup failures to coded errors: "no such key" is the token's fault (401); anything
 * else (network, timeout, non-200, bad JSON, unusable JWK) is the key server's (503).
 */
function mapKeyError(err: unknown): LatchkeyError {
  if (err instanceof LatchkeyError) return err;
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) {
    return new TokenKeyUnknownError(undefined, { cause: err });
  }
  if (err instanceof errors.JOSENotSupported) return new TokenAlgorithmNotAllowedError(undefined, { cause: err });
  return new KeysUnavailableError(undefined, { cause: err });
}

function mapped(resolve: JWTVerifyGetKey): JWTVerifyGetKey {
  return async (header, token) => {
    try {
      return await resolve(header, token);
    } catch (err) {
      throw mapKeyError(err);
    }
  };
}

function localKeySet(options: ResolvedOptions): KeySet {
  let resolve: JWTVerifyGetKey;
  try {
    resolve = createLocalJWKSet(options.jwks ?? { keys: [] });
  } catch (err) {
    throw new ConfigError('Invalid verifier option "jwks": not a usable JSON Web Key Set', { cause: err });
  }
  return { getKey: mapped(resolve), generation: () => 0, fresh: () => true };
}

function remoteKeySet(options: ResolvedOptions, url: URL): KeySet {
  const userFetch = options.fetch;
  let fetches = 0;
  const countingFetch: FetchImplementation = (input, init) => {
    fetches += 1;
    return userFetch === undefined ? fetch(input, init) : userFetch(input, init);
  };
  const remote = createRemoteJWKSet(url, {
    timeoutDuration: options.jwksTimeoutMs,
    cacheMaxAge: options.jwksCacheMaxAgeMs,
    cooldownDuration: options.jwksCooldownMs,
    [customFetch]: countingFetch,
  });
  let seenFetches = 0;
  let seenJwks = '';
  let generation = 0;
  return {
    getKey: mapped(remote),
    generation() {
      // Compare contents only after a fetch has been applied: a refetch that returns the same keys
      // (the max-age refresh, or an attacker's unknown kid) must not throw the caches away.
      if (fetches !== seenFetches && !remote.reloading) {
        seenFetches = fetches;
        const now = JSON.stringify(remote.jwks() ?? null);
        if (now !== seenJwks) {
          seenJwks = now;
          generation += 1;
        }
      }
      return generation;
    },
    fresh: () => remote.fresh,
  };
}

/** Builds the key set: a cached remote JWKS (timeout, max age, cooldown) or a local key set. */
export function createKeySet(options: ResolvedOptions): KeySet {
  if (options.jwksUri !== undefined) return remoteKeySet(options, options.jwksUri);
  if (options.jwks !== undefined) return localKeySet(options);
  throw new ConfigError('Invalid verifier option "jwksUri": exactly one of "jwksUri" and "jwks" must be set');
}
