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

/** Builds the key resolver: a cached remote JWKS (timeout, max age, cooldown) or a local key set. */
export function createKeySet(options: ResolvedOptions): JWTVerifyGetKey {
  let resolve: JWTVerifyGetKey;
  if (options.jwksUri !== undefined) {
    const userFetch = options.fetch;
    resolve = createRemoteJWKSet(options.jwksUri, {
      timeoutDuration: options.jwksTimeoutMs,
      cacheMaxAge: options.jwksCacheMaxAgeMs,
      cooldownDuration: options.jwksCooldownMs,
      ...(userFetch === undefined
        ? {}
        : { [customFetch]: ((url, init) => userFetch(url, init)) satisfies FetchImplementation }),
    });
  } else if (options.jwks !== undefined) {
    try {
      resolve = createLocalJWKSet(options.jwks);
    } catch (err) {
      throw new ConfigError('Invalid verifier option "jwks": not a usable JSON Web Key Set', { cause: err });
    }
  } else {
    throw new ConfigError('Invalid verifier option "jwksUri": exactly one of "jwksUri" and "jwks" must be set');
  }
  return async (header, token) => {
    try {
      return await resolve(header, token);
    } catch (err) {
      throw mapKeyError(err);
    }
  };
}
