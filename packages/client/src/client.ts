import { errorFromResponse, LatchkeyClientError, LatchkeyNetworkError } from './errors.js';
import {
  CSRF_STORAGE_KEY,
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
  /** The stored CSRF token, or `null` when logged out on this device. */
  csrfToken(): string | null;
  /** Subscribes to login/refresh/logout; returns the unsubscribe function. */
  onChange(listener: AuthListener): () => void;
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
    return true;
  }

  function forget(reason: AuthChange['reason']): void {
    const had = safeGet(storage, CSRF_STORAGE_KEY) !== null;
    safeRemove(storage, CSRF_STORAGE_KEY);
    if (had || reason === 'user') emit({ type: 'logout', authenticated: false, reason });
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
    // Single-flight: the refresh token rotates on every use, so two parallel refreshes would race
    // (and outside the server's grace window, the loser would look like token theft).
    refreshing ??= (async () => {
      try {
        const res = await send(authUrl('refresh'), { method: 'POST' }, safeGet(storage, CSRF_STORAGE_KEY));
        if (!res.ok) {
          const err = await errorFromResponse(res);
          // 4xx: the session is gone (expired, revoked, CSRF lost). 5xx: keep it and let the caller retry.
          if (res.status < 500) forget('refresh_failed');
          throw err;
        }
        void res.body?.cancel().catch(() => {});
        if (!storeToken(res)) {
          forget('refresh_failed');
          throw new LatchkeyClientError('missing_csrf_token', 'refresh answered without an X-CSRF-Token header', res.status);
        }
        emit({ type: 'refresh', authenticated: true, reason: 'refresh' });
      } finally {
        refreshing = null;
      }
    })();
    return refreshing;
  }

  async function authFetch(input: string | URL, init: RequestInit = {}): Promise<Response> {
    const url = resolve(input);
    const sent = safeGet(storage, CSRF_STORAGE_KEY);
    const first = await send(url, init, sent);
    // Only our own API's 401s mean "access token expired"; without a stored token there is no
    // session on this device to refresh.
    if (first.status !== 401 || sent === null || !isOwnOrigin(url)) return first;
    const current = safeGet(storage, CSRF_STORAGE_KEY);
    if (current === sent) {
      try {
        await refresh();
      } catch {
        return first;
      }
    } else if (current === null) {
      return first; // logged out meanwhile
    }
    // else: another request already refreshed since this one was sent; just retry.
    void first.body?.cancel().catch(() => {});
    return send(url, init, safeGet(storage, CSRF_STORAGE_KEY));
  }

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

    csrfToken: () => safeGet(storage, CSRF_STORAGE_KEY),

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
