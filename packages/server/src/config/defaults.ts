/**
 * Every server option, its default, and what it means. This file is the single source of truth;
 * docs/config.md mirrors it. Options marked "dev-only default" print a one-time warning when left unset.
 */

export type SigningAlgorithm = 'ES256' | 'EdDSA' | 'RS256';
export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = ['ES256', 'EdDSA', 'RS256'];

export interface ServerConfig {
  /** `iss` of every token; the public origin clients see (e.g. the gateway). Env `LATCHKEY_ISSUER`. Dev-only default. */
  readonly issuer: string;
  /** `aud` of every access token (the resource services' audience). Env `LATCHKEY_AUDIENCE`. Dev-only default. */
  readonly audience: string;
  /** TCP port for `latchkey serve` (0 = any free port). Env `PORT`. */
  readonly port: number;
  /** Interface to bind. Env `HOST`. */
  readonly host: string;
  /** Folder holding `latchkey.sqlite` (created with mode 0700). Env `LATCHKEY_DATA_DIR`. */
  readonly dataDir: string;
  /** Algorithm of the signing key generated on first start. Env `LATCHKEY_SIGNING_ALG`. */
  readonly signingAlgorithm: SigningAlgorithm;
  /** Access-token lifetime in seconds (60..3600). Env `LATCHKEY_ACCESS_TTL`. */
  readonly accessTokenTtlSeconds: number;
  /** Refresh-token (session) lifetime in seconds (300..31536000). Env `LATCHKEY_REFRESH_TTL`. */
  readonly refreshTokenTtlSeconds: number;
  /** Browser origins allowed to call the server cross-origin with credentials. No `*`. Env `LATCHKEY_CORS_ORIGINS` (comma-separated). */
  readonly corsOrigins: readonly string[];
  /** Whether `POST /auth/signup` is open. Env `LATCHKEY_SIGNUP_ENABLED` (`true`/`false`). Dev-only default. */
  readonly signupEnabled: boolean;
  /**
   * Addresses or CIDR ranges (or `loopback`) of proxies in front whose `X-Forwarded-For/-Host/-Proto`
   * are believed (Fastify `trustProxy` with a list). Empty: the client address is the socket peer.
   * Env `LATCHKEY_TRUST_PROXY` (comma-separated).
   */
  readonly trustProxy: readonly string[];
  /** Brute-force protection on login, refresh and OAuth client authentication (429 + Retry-After). Env `LATCHKEY_RATE_LIMITS`. */
  readonly rateLimits: boolean;
  /** Minimum password length in characters. */
  readonly passwordMinLength: number;
  /** Maximum password length in UTF-8 bytes (bounds the Argon2 input). */
  readonly passwordMaxBytes: number;
  /** Maximum request body size in bytes. */
  readonly bodyLimit: number;
  /** Space-separated `scope` claim put in first-party user access tokens. */
  readonly userScope: string;
  /**
   * Seconds after a rotation during which the refresh token it replaced still answers with the *same*
   * successor (concurrent tabs), 0..60; 0 = strict. Outside it, reuse revokes the session. Env `LATCHKEY_REFRESH_GRACE`.
   */
  readonly refreshGraceSeconds: number;
  /**
   * Shared secret resource services present (`Authorization: Bearer …`) to follow the revocation feed
   * (`GET /auth/revocations/stream`). null = the feed is open to anyone who can reach the server (it
   * carries only revoked session ids and expiry times). Env `LATCHKEY_REVOCATION_FEED_TOKEN` (≥ 32 chars).
   */
  readonly revocationFeedToken: string | null;
  /** How long a signing key signs before the next one takes over, seconds; 0 = never rotate automatically. Env `LATCHKEY_KEY_ROTATION_INTERVAL`. */
  readonly keyRotationIntervalSeconds: number;
  /**
   * How long before it starts signing the next key is published in the JWKS, seconds. Must exceed
   * `jwksMaxAgeSeconds` and every verifier's JWKS cache lifetime. Env `LATCHKEY_KEY_PUBLISH_LEAD`.
   */
  readonly keyPublishLeadSeconds: number;
  /**
   * How often each instance re-reads the key set and applies due rotation steps, seconds (a
   * `latchkey keys rotate` or another instance's step reaches it within this). Env `LATCHKEY_KEY_CHECK_INTERVAL`.
   */
  readonly keyCheckIntervalSeconds: number;
  /** `Cache-Control: max-age` of the JWKS, seconds. Env `LATCHKEY_JWKS_MAX_AGE`. */
  readonly jwksMaxAgeSeconds: number;
  /** `postgres://…`: use PostgreSQL instead of SQLite. Env `LATCHKEY_DATABASE_URL`. */
  readonly databaseUrl: string | null;
  /** PostgreSQL schema for Latchkey's tables (created if missing). Env `LATCHKEY_DATABASE_SCHEMA`. */
  readonly databaseSchema: string;
  /** Maximum PostgreSQL connections per instance (2..1000). Env `LATCHKEY_DATABASE_POOL_SIZE`. */
  readonly databasePoolSize: number;
  /** PostgreSQL `statement_timeout` in ms (100..600000). Env `LATCHKEY_DATABASE_STATEMENT_TIMEOUT_MS`. */
  readonly databaseStatementTimeoutMs: number;
  /** Connect timeout for PostgreSQL and Redis in ms (100..60000). Env `LATCHKEY_STORE_CONNECT_TIMEOUT_MS`. */
  readonly storeConnectTimeoutMs: number;
  /** `redis://…` or `rediss://…`: rate-limit counters in Redis. Env `LATCHKEY_REDIS_URL`. */
  readonly redisUrl: string | null;
  /** Prefix of every Redis key and channel. Env `LATCHKEY_REDIS_PREFIX`. */
  readonly redisKeyPrefix: string;
  /** Secret (≥ 32 chars) from which the AES-256-GCM key sealing private signing keys is derived. Env `LATCHKEY_KEY_ENCRYPTION_KEY`. Never printed. */
  readonly keyEncryptionKey: string | null;
}

export interface OptionInfo {
  readonly description: string;
  readonly env?: string;
  /** Defaults fine for a laptop but not for production: a warning is printed once when they are used. */
  readonly devOnly?: boolean;
}

/** The documented defaults. */
export const DEFAULTS: ServerConfig = Object.freeze({
  issuer: 'http://localhost:4000',
  audience: 'latchkey',
  port: 4000,
  host: '127.0.0.1',
  dataDir: './.latchkey',
  signingAlgorithm: 'ES256',
  accessTokenTtlSeconds: 600,
  refreshTokenTtlSeconds: 30 * 24 * 60 * 60,
  corsOrigins: Object.freeze([]) as readonly string[],
  signupEnabled: true,
  trustProxy: Object.freeze([]) as readonly string[],
  rateLimits: true,
  passwordMinLength: 8,
  passwordMaxBytes: 1024,
  bodyLimit: 16 * 1024,
  userScope: 'profile',
  refreshGraceSeconds: 10,
  revocationFeedToken: null,
  keyRotationIntervalSeconds: 30 * 24 * 60 * 60,
  keyPublishLeadSeconds: 2 * 60 * 60,
  keyCheckIntervalSeconds: 60,
  jwksMaxAgeSeconds: 300,
  databaseUrl: null,
  databaseSchema: 'public',
  databasePoolSize: 10,
  databaseStatementTimeoutMs: 5000,
  storeConnectTimeoutMs: 3000,
  redisUrl: null,
  redisKeyPrefix: 'latchkey:',
  keyEncryptionKey: null,
});

export const OPTIONS: { readonly [K in keyof ServerConfig]: OptionInfo } = {
  issuer: { description: 'Token issuer (`iss`), the public origin clients use.', env: 'LATCHKEY_ISSUER', devOnly: true },
  audience: { description: 'Access-token audience (`aud`).', env: 'LATCHKEY_AUDIENCE', devOnly: true },
  port: { description: 'Port for `latchkey serve` (0 = a free port).', env: 'PORT' },
  host: { description: 'Interface to bind.', env: 'HOST' },
  dataDir: { description: 'Data folder (SQLite file, keys).', env: 'LATCHKEY_DATA_DIR' },
  signingAlgorithm: { description: 'Signing algorithm: ES256, EdDSA or RS256.', env: 'LATCHKEY_SIGNING_ALG' },
  accessTokenTtlSeconds: { description: 'Access-token lifetime, 60..3600 s.', env: 'LATCHKEY_ACCESS_TTL' },
  refreshTokenTtlSeconds: { description: 'Refresh-token/session lifetime, 300..31536000 s.', env: 'LATCHKEY_REFRESH_TTL' },
  corsOrigins: { description: 'Origins allowed cross-origin with credentials (no `*`).', env: 'LATCHKEY_CORS_ORIGINS' },
  signupEnabled: { description: 'Open self-service signup.', env: 'LATCHKEY_SIGNUP_ENABLED', devOnly: true },
  trustProxy: { description: 'Proxy addresses/CIDRs whose X-Forwarded-* are believed (none: the socket peer is the client).', env: 'LATCHKEY_TRUST_PROXY' },
  rateLimits: { description: 'Brute-force protection on login, refresh and OAuth client authentication.', env: 'LATCHKEY_RATE_LIMITS' },
  passwordMinLength: { description: 'Minimum password length (characters).' },
  passwordMaxBytes: { description: 'Maximum password length (UTF-8 bytes, ≤ 4096).' },
  bodyLimit: { description: 'Maximum request body (bytes).' },
  userScope: { description: 'Space-separated `scope` claim of user access tokens.' },
  refreshGraceSeconds: { description: 'Refresh grace window for concurrent tabs, 0..60 s (0 = strict rotation).', env: 'LATCHKEY_REFRESH_GRACE' },
  revocationFeedToken: { description: 'Bearer secret required to follow the revocation feed (null = open).', env: 'LATCHKEY_REVOCATION_FEED_TOKEN' },
  keyRotationIntervalSeconds: { description: 'Signing-key lifetime before automatic rotation, s (0 = off).', env: 'LATCHKEY_KEY_ROTATION_INTERVAL' },
  keyPublishLeadSeconds: { description: 'How early the next key is published before it signs, s (> jwksMaxAgeSeconds).', env: 'LATCHKEY_KEY_PUBLISH_LEAD' },
  keyCheckIntervalSeconds: { description: 'How often each instance re-reads the key set and applies due rotation steps, s.', env: 'LATCHKEY_KEY_CHECK_INTERVAL' },
  jwksMaxAgeSeconds: { description: 'JWKS Cache-Control max-age, s.', env: 'LATCHKEY_JWKS_MAX_AGE' },
  databaseUrl: { description: 'PostgreSQL URL; SQLite in dataDir when unset.', env: 'LATCHKEY_DATABASE_URL' },
  databaseSchema: { description: 'PostgreSQL schema for Latchkey tables.', env: 'LATCHKEY_DATABASE_SCHEMA' },
  databasePoolSize: { description: 'PostgreSQL pool size per instance (2..1000).', env: 'LATCHKEY_DATABASE_POOL_SIZE' },
  databaseStatementTimeoutMs: { description: 'PostgreSQL statement timeout (ms).', env: 'LATCHKEY_DATABASE_STATEMENT_TIMEOUT_MS' },
  storeConnectTimeoutMs: { description: 'PostgreSQL/Redis connect timeout (ms).', env: 'LATCHKEY_STORE_CONNECT_TIMEOUT_MS' },
  redisUrl: { description: 'Redis URL for rate limits; the primary store when unset.', env: 'LATCHKEY_REDIS_URL' },
  redisKeyPrefix: { description: 'Prefix of Redis keys and channels.', env: 'LATCHKEY_REDIS_PREFIX' },
  keyEncryptionKey: { description: 'Secret sealing private signing keys at rest (AES-256-GCM via HKDF).', env: 'LATCHKEY_KEY_ENCRYPTION_KEY' },
};
