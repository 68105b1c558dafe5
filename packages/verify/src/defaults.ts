/**
 * Every default of the verifier in one place, with why. Options are validated against the bounds
 * below in `options.ts`.
 */

/** JWS algorithms Latchkey can verify. Asymmetric only: `none` and HMAC are never accepted. */
export const SUPPORTED_ALGORITHMS = ['ES256', 'EdDSA', 'RS256'] as const;

/** One of {@link SUPPORTED_ALGORITHMS}. */
export type Algorithm = (typeof SUPPORTED_ALGORITHMS)[number];

export const DEFAULTS = Object.freeze({
  /** Default `alg` allow-list: every supported algorithm. */
  algorithms: SUPPORTED_ALGORITHMS,
  /** Tolerated clock difference for `exp`/`nbf`/`iat`, seconds. Bounded to 0..300. */
  clockSkewSeconds: 30,
  /** `exp - iat` may not exceed this, seconds. Bounded to 1..86400. Access tokens live 5–15 min. */
  maxTokenLifetimeSeconds: 3600,
  /** JWKS request timeout, ms (1..60000): a slow key server must not hang requests. */
  jwksTimeoutMs: 5000,
  /** How long fetched keys are trusted before a refetch, ms (0..86400000). */
  jwksCacheMaxAgeMs: 600_000,
  /** After a fetch, an unknown `kid` triggers a refetch only after this long, ms (0..86400000). */
  jwksCooldownMs: 30_000,
  /** Largest accepted token, bytes (256..65536): refuses oversized input before any parsing. */
  maxTokenBytes: 8192,
  /**
   * Verified-token cache. 10,000 entries cover a busy service's live tokens (each lives minutes);
   * 32 MiB bounds memory whatever the token sizes (a typical entry holds ~1.3 KB).
   */
  tokenCache: Object.freeze({ enabled: true, maxEntries: 10_000, maxBytes: 32 * 1024 * 1024 }),
});

/** The access-token cookie (architecture.md: names fixed across the system). */
export const ACCESS_TOKEN_COOKIE = '__Host-lk_at';
/** The CSRF request header. */
export const CSRF_HEADER = 'x-csrf-token';
/** The access-token claim the CSRF header must equal. */
export const CSRF_CLAIM = 'csrf';
/** RFC 9068 access-token `typ`. */
export const ACCESS_TOKEN_TYP = 'at+jwt';
/** The realm announced in `WWW-Authenticate`. */
export const REALM = 'latchkey';
