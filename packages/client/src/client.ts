import { errorFromResponse, LatchkeyClientError, LatchkeyNetworkError } from './errors.js';
import { openTabChannel, withLock, type TabChannel } from './coordination.js';
import {
  CSRF_STORAGE_KEY,
  EXPIRY_STORAGE_KEY,
  defaultStorage,
  safeGet,
  safeRemove,
  safeSet,
  type TokenStorage,
} from './storage.js';

/** Header that carries the CSRF token both ways (request, and login/refresh response). */
export const CSRF_HEADER = 'X-CSRF-Token';

type FetchFn = (input: string, init?: RequestInit) => Promise<Response>;

export interface LatchkeyClientOptions {
  /** Origin (and optional path prefix) of the gateway; `''` (default) means the page's own origin. */
  baseUrl?: string;
  /** Where the auth routes are mounted below `baseUrl`. Default `/auth`. */
  authPath?: string;
  /** Where the CSRF token is kept. Default `localStorage` (memory when storage is unavailable). */
  storage?: TokenStorage;
  /** Injectable `fetch` (tests, instrumentation). Default `globalThis.fetch`. */
  fetch?: FetchFn;
  /** `credentials` mode for every request. Default `'same-origin'`. */
  credentials?: RequestCredentials;
  /**
   * Refresh shortly before the access token expires (default true), timed from the server's
   * `expires_in` so a wrong device clock neither triggers refresh storms nor logs the user out early.
   * Across tabs only one refreshes (Web Locks); the others pick up its CSRF token.
   */
  proactiveRefresh?: boolean;
  /** How long before expiry to refresh, seconds. Default: 10% of the token lifetime, between 5 and 60. */
  refreshLeadSeconds?: number;
  /** Injectable device clock (epoch ms) and timers, for tests. */
  now?: () => number;
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (handle: unknown) => void;
}

export interface LatchkeyUser {
  id: string;
  email: string;
  name?: string | null;
  [claim: string]: unknown;
}

export interface LoginResult {
  user: LatchkeyUser;
  /** Access-token lifetime in seconds. */
  expires_in: number;
  /** Access-token expiry (as the server sent it). */
  expires_at: number | string;
}

export interface MeResult {
  user: LatchkeyUser;
  session_id: string;
}

/** One of the user's sessions ("devices"), as `GET {authPath}/sessions` returns it. */
export interface SessionInfo {
  id: string;
  /** Coarse label from the User-Agent at login, e.g. "Chrome on Linux". */
  device: string;
  client_id: string;
  created_at: string;
  last_used_at: string;
  expires_at: string;
  /** The session this page is using. */
  current: boolean;
}

/** What changed: a login, a silent refresh, or a logout (own, forced by a failed refresh, or from another tab). */
export interface AuthChange {
  type: 'login' | 'refresh' | 'logout';
  authenticated: boolean;
  reason: 'user' | 'refresh' | 'refresh_failed' | 'other_tab';
}

export type AuthListener = (change: AuthChange) => void;

export interface LatchkeyClient {
  /** `POST {authPath}/signup`; resolves to the created user. Does not log in. */
  signup(input: { email: string; password: string; name?: string }): Promise<LatchkeyUser>;
  /** `POST {authPath}/login` in cookie mode; keeps the CSRF token from the `X-CSRF-Token` response header. */
  login(input: { email: string; password: string }): Promise<LoginResult>;
  /** `POST {authPath}/logout`; always forgets the local CSRF token, even if the server is unreachable. */
  logout(): Promise<void>;
  /** Rotates the session now (single-flight: concurrent calls share one request). Rejects on failure. */
  refresh(): Promise<void>;
  /** `GET {authPath}/me` through {@link LatchkeyClient.fetch} (so an expired access token is refreshed). */
  me(): Promise<MeResult>;
  /**
   * `fetch` for the app's own API: same-origin credentials, `X-CSRF-Token`, JSON content type for string
   * bodies; on a `401` it refreshes once and retries once. Resolves to the final `Response`.
   */
  fetch(input: string | URL, init?: RequestInit): Promise<Response>;
  /** The user's live sessions (`GET {authPath}/sessions`). */
  sessions(): Promise<SessionInfo[]>;
  /** Ends one session ("sign out that device"); ending the `current` one logs this page out too. */
  endSession(session: Pick<SessionInfo, 'id'> & Partial<Pick<SessionInfo, 'current'>>): Promise<void>;
  /** `POST {authPath}/logout-all`: ends every session of the user, this one included. Resolves to how many. */
  logoutEverywhere(): Promise<number>;
  /** The stored CSRF token, or `null` when logged out on this device. */
  csrfToken(): string | null;
  /** Subscribes to login/refresh/logout; returns the unsubscribe function. */
  onChange(listener: AuthListener): () => void;
  /**
   * Server clock minus device clock, ms (from the last login/refresh answer; null before one). For
   * display and diagnostics only: the helper never needs it, it times refreshes from `expires_in`.
   */
  serverClockOffsetMs(): number | null;
  /** When the proactive refresh is due, epoch ms on the device clock (null when none is scheduled). */
  nextRefreshAt(): number | null;
  /** Stops the proactive timer and the cross-tab listeners (the client still works on demand). */
  close(): void;
}

/**
 * Creates the browser helper.
 *
 * @example
 * ```js
 * import { createLatchkeyClient } from '/assets/latchkey-client.js';
 * const auth = createLatchkeyClient();
 * await auth.login({ email, password });
 * const res = await auth.fetch('/api/cart/items', { method: 'POST', body: JSON.stringify({ productId, quantity: 1 }) });
 * ```
 */
export function createLatchkeyClient(options: LatchkeyClientOptions = {}): LatchkeyClient {
  const baseUrl = (options.baseUrl ?? '').replace(/\/+$/, '');
  const authPath = '/' + (options.authPath ?? '/auth').replace(/^\/+|\/+$/g, '');
  const storage = options.storage ?? defaultStorage();
  const credentials = options.credentials ?? 'same-origin';
  const doFetch: FetchFn =
    options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const listeners = new Set<AuthListener>();
  let refreshing: Promise<void> | null = null;
  let detachStorageEvents: (() => void) | null = null;
  const now = options.now ?? (() => Date.now());
  const setTimer = options.setTimeout ?? ((fn: () => void, ms: number) => globalThis.setTimeout(fn, ms));
  const clearTimer = options.clearTimeout ?? ((h: unknown) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>));
  const proactive = options.proactiveRefresh ?? true;
  let timer: unknown = null;
  let dueAt: number | null = null;
  let serverOffset: number | null = null;
  let lastRefreshAt = -Infinity;
  let closed = false;
  // Tabs waiting for another tab's new CSRF token (see authFetch's 403 csrf_token_mismatch handling).
  const csrfWaiters = new Set<(csrf: string) => void>();
  // The newest token another tab announced: it can arrive before this tab's own request fails with it.
  let lastAnnounced: string | undefined;
  const announce = (csrf: string | undefined): void => {
    if (csrf === undefined || csrf === '') return;
    lastAnnounced = csrf;
    for (const w of [...csrfWaiters]) w(csrf);
  };
  const channel: TabChannel = openTabChannel('latchkey', (m) => {
    schedule();
    announce(m.csrf);
  });
  const detachExpiryEvents = watchKey(storage, EXPIRY_STORAGE_KEY, () => schedule());
  const detachCsrfEvents = watchKey(storage, CSRF_STORAGE_KEY, () => announce(safeGet(storage, CSRF_STORAGE_KEY) ?? undefined));

  /**
   * localStorage changes reach other tabs asynchronously, while the new access cookie is shared at
   * once: a tab may send the previous CSRF token with the new cookie (→ 403 csrf_token_mismatch). Wait
   * (event-driven, bounded) for the token other tabs announce, instead of failing or refreshing again.
   */
  function awaitNewCsrf(stale: string, timeoutMs: number): Promise<string | null> {
    const now = safeGet(storage, CSRF_STORAGE_KEY);
    if (now !== null && now !== stale) return Promise.resolve(now);
    if (lastAnnounced !== undefined && lastAnnounced !== stale) {
      // Heard on the channel before this tab's storage caught up: adopt it (the storage write is on its way).
      safeSet(storage, CSRF_STORAGE_KEY, lastAnnounced);
      return Promise.resolve(lastAnnounced);
    }
    return new Promise((resolve) => {
      const done = (value: string | null): void => {
        csrfWaiters.delete(onCsrf);
        clearTimer(t);
        resolve(value);
      };
      const onCsrf = (csrf: string): void => {
        if (csrf !== stale) done(csrf);
      };
      csrfWaiters.add(onCsrf);
      const t = setTimer(() => done(null), timeoutMs);
    });
  }

  const authUrl = (route: string): string => `${baseUrl}${authPath}/${route}`;

  function baseOrigin(): string | null {
    try {
      if (baseUrl !== '' && !baseUrl.startsWith('/')) return new URL(baseUrl).origin;
      const loc = (globalThis as { location?: { origin?: string } }).location;
      return typeof loc?.origin === 'string' ? loc.origin : null;
    } catch {
      return null;
    }
  }

  function resolve(input: string | URL): string {
    const url = typeof input === 'string' ? input : input.href;
    return url.startsWith('/') && !url.startsWith('//') ? baseUrl + url : url;
  }

  /** The CSRF token is only ever sent to our own origin: never hand it to a third-party URL. */
  function isOwnOrigin(url: string): boolean {
    if (url.startsWith('/') && !url.startsWith('//')) return true;
    const origin = baseOrigin();
    if (origin === null) return false;
    try {
      return new URL(url, origin).origin === origin;
    } catch {
      return false;
    }
  }

  function emit(change: AuthChange): void {
    for (const listener of [...listeners]) {
      try {
        listener(change);
      } catch {
        // A faulty listener must not break the others or the request that triggered it.
      }
    }
  }

  function storeToken(res: Response): boolean {
    const token = res.headers.get(CSRF_HEADER);
    if (token === null || token === '') return false;
    safeSet(storage, CSRF_STORAGE_KEY, token);
    lastAnnounced = undefined; // this tab's own answer is newer than anything heard before it
    return true;
  }

  function forget(reason: AuthChange['reason']): void {
    const had = safeGet(storage, CSRF_STORAGE_KEY) !== null;
    lastAnnounced = undefined;
    safeRemove(storage, CSRF_STORAGE_KEY);
    safeRemove(storage, EXPIRY_STORAGE_KEY);
    schedule();
    channel.post({ type: 'logout' });
    if (had || reason === 'user') emit({ type: 'logout', authenticated: false, reason });
  }

  /**
   * Records when the new access token expires, on *this device's* clock: `now() + expires_in`. Both
   * terms come from the same clock, so its offset from the server's cancels out; the server's absolute
   * `expires_at` is only used to estimate that offset for diagnostics.
   */
  function recordExpiry(body: unknown): void {
    const b = (body ?? {}) as { expires_in?: unknown; expires_at?: unknown };
    if (typeof b.expires_in !== 'number' || !Number.isFinite(b.expires_in) || b.expires_in <= 0) return;
    const t = now();
    if (typeof b.expires_at === 'number' && Number.isFinite(b.expires_at)) serverOffset = (b.expires_at - b.expires_in) * 1000 - t;
    safeSet(storage, EXPIRY_STORAGE_KEY, JSON.stringify({ at: t + b.expires_in * 1000, lifetime: b.expires_in }));
    schedule();
  }

  function readExpiry(): { at: number; lifetime: number } | null {
    const raw = safeGet(storage, EXPIRY_STORAGE_KEY);
    if (raw === null) return null;
    try {
      const v = JSON.parse(raw) as { at?: unknown; lifetime?: unknown };
      if (typeof v.at === 'number' && typeof v.lifetime === 'number' && Number.isFinite(v.at) && v.lifetime > 0) return { at: v.at, lifetime: v.lifetime };
    } catch {
      // ignore a corrupt entry
    }
    return null;
  }

  /** (Re-)arms the proactive refresh from the shared expiry record. */
  function schedule(): void {
    if (timer !== null) clearTimer(timer);
    timer = null;
    dueAt = null;
    if (!proactive || closed) return;
    const expiry = readExpiry();
    if (expiry === null || safeGet(storage, CSRF_STORAGE_KEY) === null) return;
    const lead = (options.refreshLeadSeconds ?? Math.min(60, Math.max(5, expiry.lifetime * 0.1))) * 1000;
    // A little jitter per tab; Web Locks makes one tab do the work and the others adopt its result.
    const jitter = Math.random() * Math.min(5000, lead / 4);
    const t = now();
    // Never more often than every 5 s, whatever the numbers say: no refresh storms.
    const due = Math.max(expiry.at - lead - jitter, lastRefreshAt + 5000, t);
    dueAt = due;
    timer = setTimer(() => {
      timer = null;
      dueAt = null;
      if (safeGet(storage, CSRF_STORAGE_KEY) === null) return;
      refresh().catch(() => {
        // 4xx already logged out; 5xx/network: try again in a while (the reactive 401 path also covers it).
        lastRefreshAt = now();
        schedule();
      });
    }, due - t);
    (timer as { unref?: () => void } | null)?.unref?.();
  }

  async function send(url: string, init: RequestInit, csrf: string | null): Promise<Response> {
    const headers = new Headers(init.headers);
    if (csrf !== null && isOwnOrigin(url)) headers.set(CSRF_HEADER, csrf);
    if (typeof init.body === 'string' && !headers.has('content-type')) {
      headers.set('Content-Type', 'application/json');
    }
    try {
      return await doFetch(url, { ...init, headers, credentials: init.credentials ?? credentials });
    } catch (cause) {
      throw new LatchkeyNetworkError(`request to ${url.split('?')[0] ?? url} failed`, { cause });
    }
  }

  async function readJson<T>(res: Response): Promise<T> {
    try {
      return (await res.json()) as T;
    } catch (cause) {
      throw new LatchkeyClientError('unexpected_response', 'response body is not JSON', res.status, { cause });
    }
  }

  function refresh(): Promise<void> {
    // Single-flight within the page, and across tabs through an origin-wide Web Lock: the refresh
    // token rotates on every use, so parallel refreshes would race (the server's grace window makes
    // that safe, but one request is better than N).
    refreshing ??= (async () => {
      const before = safeGet(storage, CSRF_STORAGE_KEY);
      // What other tabs announce while this one waits for the lock (their localStorage write may reach
      // this tab later than the lock does).
      let announced: string | undefined;
      const listen = (csrf: string): void => void (announced = csrf);
      csrfWaiters.add(listen);
      try {
        await withLock('latchkey.refresh', async () => {
          const stored = safeGet(storage, CSRF_STORAGE_KEY);
          const current = stored !== before ? stored : (announced ?? stored);
          if (current !== null && current !== before) {
            // Another tab refreshed while this one waited for the lock: adopt its result, into this
            // tab's storage too (callers read it from there; the other tab's write may not be here yet).
            if (stored !== current) safeSet(storage, CSRF_STORAGE_KEY, current);
            lastRefreshAt = now();
            schedule();
            return;
          }
          const res = await send(authUrl('refresh'), { method: 'POST' }, current);
          lastRefreshAt = now();
          if (!res.ok) {
            const err = await errorFromResponse(res);
            // 4xx: the session is gone (expired, revoked, CSRF lost). 5xx: keep it and let the caller retry.
            if (res.status < 500) forget('refresh_failed');
            throw err;
          }
          const body: unknown = await res.json().catch(() => null);
          if (!storeToken(res)) {
            forget('refresh_failed');
            throw new LatchkeyClientError('missing_csrf_token', 'refresh answered without an X-CSRF-Token header', res.status);
          }
          recordExpiry(body);
          channel.post({ type: 'refresh', csrf: safeGet(storage, CSRF_STORAGE_KEY) ?? '' });
          emit({ type: 'refresh', authenticated: true, reason: 'refresh' });
        });
      } finally {
        csrfWaiters.delete(listen);
        refreshing = null;
      }
    })();
    return refreshing;
  }

  async function authFetch(input: string | URL, init: RequestInit = {}): Promise<Response> {
    const url = resolve(input);
    const sent = safeGet(storage, CSRF_STORAGE_KEY);
    const first = await send(url, init, sent);
    // Only our own API's answers say anything about our session; without a stored token there is no
    // session on this device to refresh.
    if (sent === null || !isOwnOrigin(url)) return first;
    if (first.status === 403 && (await errorCode(first)) === 'csrf_token_mismatch') {
      // Another tab rotated the session a moment ago and its CSRF token has not reached this tab yet.
      let fresh = await awaitNewCsrf(sent, 1500);
      if (fresh === null) {
        try {
          await refresh();
        } catch {
          return first;
        }
        fresh = safeGet(storage, CSRF_STORAGE_KEY);
      }
      void first.body?.cancel().catch(() => {});
      return send(url, init, fresh);
    }
    if (first.status !== 401) return first;
    const current = safeGet(storage, CSRF_STORAGE_KEY);
    let token = current;
    if (current === sent) {
      try {
        await refresh();
      } catch {
        return first;
      }
      token = safeGet(storage, CSRF_STORAGE_KEY);
    } else if (current === null) {
      return first; // logged out meanwhile
    }
    // else: another request already refreshed since this one was sent; just retry.
    void first.body?.cancel().catch(() => {});
    return send(url, init, token);
  }

  /** The `error` code of a JSON error answer, read from a clone (the caller may still read the body). */
  async function errorCode(res: Response): Promise<string | null> {
    try {
      const body = (await res.clone().json()) as { error?: unknown };
      return typeof body.error === 'string' ? body.error : null;
    } catch {
      return null;
    }
  }

  // A page (re)load with a live session on this device: arm the proactive refresh.
  schedule();

  return {
    async signup(input) {
      const res = await send(authUrl('signup'), { method: 'POST', body: JSON.stringify(input) }, null);
      if (!res.ok) throw await errorFromResponse(res);
      const body = await readJson<{ user?: LatchkeyUser }>(res);
      if (!body.user) throw new LatchkeyClientError('unexpected_response', 'signup answered without a user', res.status);
      return body.user;
    },

    async login(input) {
      const res = await send(authUrl('login'), { method: 'POST', body: JSON.stringify(input) }, null);
      if (!res.ok) throw await errorFromResponse(res);
      const body = await readJson<LoginResult>(res);
      if (!storeToken(res)) {
        throw new LatchkeyClientError(
          'missing_csrf_token',
          'login answered without an X-CSRF-Token header (is it CORS-exposed?)',
          res.status,
        );
      }
      recordExpiry(body);
      channel.post({ type: 'login' });
      emit({ type: 'login', authenticated: true, reason: 'user' });
      return body;
    },

    async logout() {
      let res: Response;
      try {
        res = await send(authUrl('logout'), { method: 'POST' }, safeGet(storage, CSRF_STORAGE_KEY));
      } finally {
        forget('user');
      }
      void res.body?.cancel().catch(() => {});
      // 401: the server no longer knows the session, which is what logging out wanted.
      if (!res.ok && res.status !== 401) throw await errorFromResponse(res);
    },

    refresh,

    async me() {
      const res = await authFetch(authUrl('me'));
      if (!res.ok) throw await errorFromResponse(res);
      return readJson<MeResult>(res);
    },

    fetch: authFetch,

    async sessions() {
      const res = await authFetch(authUrl('sessions'));
      if (!res.ok) throw await errorFromResponse(res);
      return (await readJson<{ sessions: SessionInfo[] }>(res)).sessions;
    },

    async endSession(session) {
      const res = await authFetch(`${authUrl('sessions')}/${encodeURIComponent(session.id)}`, { method: 'DELETE' });
      if (!res.ok) throw await errorFromResponse(res);
      void res.body?.cancel().catch(() => {});
      // The server cleared this page's cookies when it was the current session.
      if (session.current === true) forget('user');
    },

    async logoutEverywhere() {
      const res = await authFetch(authUrl('logout-all'), { method: 'POST' });
      if (!res.ok) throw await errorFromResponse(res);
      const body = await readJson<{ sessions_revoked?: number }>(res);
      forget('user');
      return typeof body.sessions_revoked === 'number' ? body.sessions_revoked : 0;
    },

    csrfToken: () => safeGet(storage, CSRF_STORAGE_KEY),

    serverClockOffsetMs: () => serverOffset,

    nextRefreshAt: () => dueAt,

    close() {
      closed = true;
      schedule();
      channel.close();
      detachExpiryEvents();
      detachCsrfEvents();
      if (detachStorageEvents) detachStorageEvents();
      detachStorageEvents = null;
    },

    onChange(listener) {
      listeners.add(listener);
      detachStorageEvents ??= watchOtherTabs(storage, emit);
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && detachStorageEvents) {
          detachStorageEvents();
          detachStorageEvents = null;
        }
      };
    },
  };
}

/** Login/logout in another tab changes the shared `localStorage`; mirror it as a change event here. */
function watchOtherTabs(storage: TokenStorage, emit: (change: AuthChange) => void): () => void {
  const target = globalThis as {
    addEventListener?: (type: string, fn: (ev: StorageEvent) => void) => void;
    removeEventListener?: (type: string, fn: (ev: StorageEvent) => void) => void;
  };
  if (typeof target.addEventListener !== 'function' || typeof target.removeEventListener !== 'function') {
    return () => {};
  }
  const onStorage = (ev: StorageEvent): void => {
    if (ev.key !== CSRF_STORAGE_KEY || (ev.storageArea as unknown) !== storage) return;
    if (ev.newValue === null) emit({ type: 'logout', authenticated: false, reason: 'other_tab' });
    else emit({ type: ev.oldValue === null ? 'login' : 'refresh', authenticated: true, reason: 'other_tab' });
  };
  target.addEventListener('storage', onStorage);
  const remove = target.removeEventListener;
  return () => remove.call(target, 'storage', onStorage);
}

/** Calls `onChange` when another tab changes `key` in the shared storage. */
function watchKey(storage: TokenStorage, key: string, onChange: () => void): () => void {
  const target = globalThis as {
    addEventListener?: (type: string, fn: (ev: StorageEvent) => void) => void;
    removeEventListener?: (type: string, fn: (ev: StorageEvent) => void) => void;
  };
  if (typeof target.addEventListener !== 'function' || typeof target.removeEventListener !== 'function') return () => {};
  const onStorage = (ev: StorageEvent): void => {
    if (ev.key === key && (ev.storageArea as unknown) === storage) onChange();
  };
  target.addEventListener('storage', onStorage);
  const remove = target.removeEventListener;
  return () => remove.call(target, 'storage', onStorage);
}
