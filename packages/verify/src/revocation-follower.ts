import type { AccessTokenClaims } from './claims.js';
import { RevocationFeedUnavailableError, TokenRevokedError } from './errors.js';
import type {
  RevocationEntry,
  RevocationFailurePolicy,
  RevocationLogEvent,
  RevocationState,
  RevocationStatus,
  RevocationTransport,
} from './revocation-types.js';

export interface FollowerSettings {
  readonly transport: RevocationTransport;
  readonly failurePolicy: RevocationFailurePolicy;
  readonly failClosedAfterMs: number;
  readonly reconnectMinMs: number;
  readonly reconnectMaxMs: number;
  readonly idleTimeoutMs: number;
  readonly clockSkewSeconds: number;
  readonly now: () => number;
  readonly log: (event: RevocationLogEvent) => void;
  /** Jitter source, [0, 1). Default Math.random. */
  readonly random?: () => number;
}

/** Follows a revocation feed and answers "is this token revoked?" from memory. */
export interface RevocationFollower {
  /** Throws `token_revoked` (401) or, fail-closed with the feed lost, `revocation_feed_unavailable` (503). */
  check(claims: Pick<AccessTokenClaims, 'sid' | 'jti'>): void;
  status(): RevocationStatus;
  /** Resolves once connected and up to date (the first time, or immediately when already). */
  connected(): Promise<void>;
  /** Stops following; idempotent. */
  close(): Promise<void>;
}

/** Starts following at once (in the background). */
export function startRevocationFollower(s: FollowerSettings): RevocationFollower {
  const random = s.random ?? Math.random;
  const bySid = new Map<string, number>();
  const byJti = new Map<string, number>();
  let state: RevocationState = 'connecting';
  let since = s.now();
  let failedAttempts = 0;
  let lastError: string | null = null;
  let cursor: string | undefined;
  let lastSweep = s.now();
  const stop = new AbortController();
  let closed = false;
  let waiters: Array<() => void> = [];

  const setState = (next: RevocationState): void => {
    if (state === next) return;
    state = next;
    since = s.now();
  };
  const safeLog = (event: RevocationLogEvent): void => {
    try {
      s.log(event);
    } catch {
      // A faulty logger must not stop the feed.
    }
  };
  const nowSeconds = (): number => Math.floor(s.now() / 1000);

  function sweep(): void {
    const limit = nowSeconds() - s.clockSkewSeconds;
    for (const map of [bySid, byJti]) for (const [k, exp] of map) if (exp < limit) map.delete(k);
    lastSweep = s.now();
  }

  function add(entries: readonly RevocationEntry[]): void {
    for (const e of entries) {
      if (e.sid !== undefined) bySid.set(e.sid, Math.max(e.exp, bySid.get(e.sid) ?? 0));
      if (e.jti !== undefined) byJti.set(e.jti, Math.max(e.exp, byJti.get(e.jti) ?? 0));
    }
    if (s.now() - lastSweep > 60_000) sweep();
  }

  /** One connection, with an idle watchdog; settles when it ends. */
  async function connectOnce(): Promise<void> {
    const conn = new AbortController();
    const abortConn = (): void => conn.abort();
    stop.signal.addEventListener('abort', abortConn, { once: true });
    let idleTimer: ReturnType<typeof setTimeout> | undefined;
    let idle = false;
    const arm = (): void => {
      if (idleTimer !== undefined) clearTimeout(idleTimer);
      idleTimer = setTimeout(() => {
        idle = true;
        conn.abort();
      }, s.idleTimeoutMs);
    };
    arm();
    try {
      await s.transport.connect(
        cursor,
        {
          alive: arm,
          ready(c) {
            if (c !== undefined) cursor = c;
            failedAttempts = 0;
            lastError = null;
            setState('connected');
            safeLog({ type: 'connected', transport: s.transport.name });
            for (const w of waiters) w();
            waiters = [];
          },
          revoked(entries, c) {
            add(entries);
            if (c !== undefined) cursor = c;
            safeLog({ type: 'revoked', count: entries.length });
          },
        },
        conn.signal,
      );
      if (!closed) throw new Error('the revocation feed closed the connection');
    } catch (err) {
      if (idle) throw new Error(`no traffic on the revocation feed for ${s.idleTimeoutMs} ms`);
      throw err;
    } finally {
      if (idleTimer !== undefined) clearTimeout(idleTimer);
      stop.signal.removeEventListener('abort', abortConn);
    }
  }

  const loop = (async () => {
    while (!closed) {
      try {
        await connectOnce();
      } catch (err) {
        if (closed) break;
        failedAttempts += 1;
        lastError = describe(err);
        // Never connected yet: stay 'connecting' (its clock started at creation); otherwise 'lost'.
        if ((state as RevocationState) === 'connected') setState('lost');
        const base = Math.min(s.reconnectMaxMs, s.reconnectMinMs * 2 ** Math.min(failedAttempts - 1, 20));
        const delay = Math.round(base / 2 + (random() * base) / 2);
        safeLog({ type: 'lost', error: lastError, retryInMs: delay });
        await sleep(delay, stop.signal);
      }
    }
  })();

  function refusing(): boolean {
    if (s.failurePolicy !== 'closed' || state === 'connected') return false;
    return s.now() - since >= s.failClosedAfterMs;
  }

  return {
    check(claims) {
      if (refusing()) throw new RevocationFeedUnavailableError();
      const limit = nowSeconds() - s.clockSkewSeconds;
      const hit = (map: Map<string, number>, key: unknown): boolean => {
        if (typeof key !== 'string') return false;
        const exp = map.get(key);
        if (exp === undefined) return false;
        if (exp < limit) {
          map.delete(key);
          return false;
        }
        return true;
      };
      if (hit(bySid, claims.sid) || hit(byJti, claims.jti)) throw new TokenRevokedError();
    },
    status() {
      return Object.freeze({
        state,
        since,
        failurePolicy: s.failurePolicy,
        refusing: refusing(),
        entries: bySid.size + byJti.size,
        failedAttempts,
        lastError,
        cursor: cursor ?? null,
      });
    },
    connected() {
      if (state === 'connected') return Promise.resolve();
      return new Promise<void>((resolve) => waiters.push(resolve));
    },
    async close() {
      if (closed) return;
      closed = true;
      stop.abort();
      await loop;
      setState('closed');
      safeLog({ type: 'closed' });
      for (const w of waiters) w();
      waiters = [];
    },
  };
}

function describe(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${msg}${cause}`.slice(0, 300);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
