/** One revoked session (or token id): tokens carrying it are refused until `exp` (epoch seconds) has passed. */
export interface RevocationEntry {
  /** Revoked session id (`sid` claim). */
  readonly sid?: string;
  /** Revoked token id (`jti` claim). */
  readonly jti?: string;
  /** Latest `exp` of any token the entry covers, epoch seconds; the entry is dropped after it (+ clock skew). */
  readonly exp: number;
}

/** What a transport reports while one connection is open. */
export interface RevocationTransportHandlers {
  /** Everything missed since the cursor has been delivered: the follower is up to date. */
  ready(cursor: string | undefined): void;
  /** New revocations; `cursor` (if any) is where to resume after them. */
  revoked(entries: readonly RevocationEntry[], cursor: string | undefined): void;
  /** Any traffic (including keep-alives) arrived: the connection is alive. */
  alive(): void;
}

/**
 * Where revocations come from. The SDK ships the HTTP server-sent-events transport
 * ({@link httpRevocationTransport}); a Redis pub/sub transport implements the same interface.
 *
 * `connect` opens one connection and settles when it ends (resolve = closed by the other side, reject =
 * failed); it must end promptly when `signal` aborts. The follower reconnects with backoff, resuming
 * from the last cursor it was given.
 */
export interface RevocationTransport {
  /** For logs and status, e.g. `"sse"`. */
  readonly name: string;
  connect(cursor: string | undefined, handlers: RevocationTransportHandlers, signal: AbortSignal): Promise<void>;
}

/** `open`: while the feed is lost, accept tokens (revocations may be missed). `closed`: refuse with 503 after `failClosedAfterMs`. */
export type RevocationFailurePolicy = 'open' | 'closed';

/** Options of the verifier's `revocation` feature. Give `url` (the auth server's SSE feed) or a `transport`. */
export interface RevocationOptions {
  /** `…/auth/revocations/stream` of the auth server (http or https). Exclusive with `transport`. */
  url?: string | URL;
  /** Bearer secret the feed requires (`revocationFeedToken` on the server). */
  token?: string;
  /** A custom transport (e.g. Redis pub/sub). Exclusive with `url`. */
  transport?: RevocationTransport;
  /** Default `open`. */
  failurePolicy?: RevocationFailurePolicy;
  /** With `failurePolicy: 'closed'`: how long the feed may be lost (or not yet connected) before requests are refused, ms, 0..300000 (default 5000). */
  failClosedAfterMs?: number;
  /** First reconnect delay, ms, 10..60000 (default 250); doubles per failed attempt, with jitter. */
  reconnectMinMs?: number;
  /** Longest reconnect delay, ms, 10..300000 (default 10000). */
  reconnectMaxMs?: number;
  /** A connection with no traffic for this long is considered dead and reopened, ms, 1000..600000 (default 45000; the server sends a keep-alive every 15 s). */
  idleTimeoutMs?: number;
  /** Told about connects, losses and deliveries (never session ids or tokens). Default: silent. */
  log?: (event: RevocationLogEvent) => void;
}

export type RevocationState = 'connecting' | 'connected' | 'lost' | 'closed';

/** A snapshot for health endpoints and dashboards. */
export interface RevocationStatus {
  readonly state: RevocationState;
  /** When the current state began, epoch ms. */
  readonly since: number;
  readonly failurePolicy: RevocationFailurePolicy;
  /** True when requests are being refused because the feed is lost (fail-closed beyond the grace). */
  readonly refusing: boolean;
  /** Revocations currently held (not yet expired). */
  readonly entries: number;
  /** Connection attempts that failed since the last successful one. */
  readonly failedAttempts: number;
  /** Last connection error, if any (a description, never a secret). */
  readonly lastError: string | null;
  readonly cursor: string | null;
}

export type RevocationLogEvent =
  | { readonly type: 'connected'; readonly transport: string }
  | { readonly type: 'revoked'; readonly count: number }
  | { readonly type: 'lost'; readonly error: string; readonly retryInMs: number }
  | { readonly type: 'closed' };
