import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createLatchkeyClient,
  CSRF_STORAGE_KEY,
  LatchkeyClientError,
  memoryStorage,
  type AuthChange,
} from '../src/index.js';

interface Call {
  url: string;
  method: string;
  headers: Headers;
  body: string | null;
  credentials: RequestCredentials | undefined;
}

type Handler = (call: Call) => Response | Promise<Response>;

/** A fake origin: records every call and answers with `handler`. */
function fakeFetch(handler: Handler): { fetch: (input: string, init?: RequestInit) => Promise<Response>; calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    async fetch(input, init = {}) {
      const call: Call = {
        url: input,
        method: init.method ?? 'GET',
        headers: new Headers(init.headers),
        body: typeof init.body === 'string' ? init.body : null,
        credentials: init.credentials,
      };
      calls.push(call);
      // Let concurrent requests interleave as they would over a network.
      await new Promise((r) => setImmediate(r));
      return handler(call);
    },
  };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

test('login keeps the CSRF token from the X-CSRF-Token response header and notifies listeners', async () => {
  const storage = memoryStorage();
  const { fetch, calls } = fakeFetch(() =>
    json(200, { user: { id: 'u1', email: 'a@b.c' }, expires_in: 600, expires_at: 1 }, { 'X-CSRF-Token': 'tok-1' }),
  );
  const auth = createLatchkeyClient({ storage, fetch });
  const changes: AuthChange[] = [];
  auth.onChange((c) => changes.push(c));

  const result = await auth.login({ email: 'a@b.c', password: 'pw' });

  assert.equal(result.user.id, 'u1');
  assert.equal(storage.getItem(CSRF_STORAGE_KEY), 'tok-1');
  assert.equal(auth.csrfToken(), 'tok-1');
  assert.deepEqual(changes, [{ type: 'login', authenticated: true, reason: 'user' }]);
  assert.equal(calls[0]?.url, '/auth/login');
  assert.equal(calls[0]?.method, 'POST');
  assert.equal(calls[0]?.headers.get('content-type'), 'application/json');
  assert.equal(calls[0]?.credentials, 'same-origin');
  assert.deepEqual(JSON.parse(calls[0]?.body ?? ''), { email: 'a@b.c', password: 'pw' });
});

test('login without an X-CSRF-Token header fails with missing_csrf_token and stores nothing', async () => {
  const storage = memoryStorage();
  const { fetch } = fakeFetch(() => json(200, { user: { id: 'u1', email: 'a@b.c' } }));
  const auth = createLatchkeyClient({ storage, fetch });
  await assert.rejects(auth.login({ email: 'a@b.c', password: 'pw' }), { code: 'missing_csrf_token' });
  assert.equal(auth.csrfToken(), null);
});

test('errors carry the server code; a non-JSON body is unexpected_response; no answer is network_error', async () => {
  const storage = memoryStorage();
  let mode = 'coded';
  const { fetch } = fakeFetch(() => {
    if (mode === 'coded') return json(401, { error: 'invalid_credentials', error_description: 'wrong email or password' });
    if (mode === 'html') return new Response('<h1>Bad gateway</h1>', { status: 502 });
    throw new TypeError('fetch failed');
  });
  const auth = createLatchkeyClient({ storage, fetch });

  const coded = await auth.login({ email: 'a@b.c', password: 'x' }).catch((e: unknown) => e);
  assert.ok(coded instanceof LatchkeyClientError);
  assert.equal(coded.code, 'invalid_credentials');
  assert.equal(coded.status, 401);
  assert.equal(coded.message, 'wrong email or password');

  mode = 'html';
  await assert.rejects(auth.signup({ email: 'a@b.c', password: 'x' }), { code: 'unexpected_response', status: 502 });
  mode = 'down';
  await assert.rejects(auth.me(), { code: 'network_error', status: 0 });
});

test('fetch sends the CSRF token, same-origin credentials and a JSON content type for string bodies', async () => {
  const storage = memoryStorage();
  storage.setItem(CSRF_STORAGE_KEY, 'tok-1');
  const { fetch, calls } = fakeFetch(() => json(200, { ok: true }));
  const auth = createLatchkeyClient({ storage, fetch });

  await auth.fetch('/api/cart/items', { method: 'POST', body: JSON.stringify({ productId: 'p1', quantity: 1 }) });
  await auth.fetch('/api/cart');

  assert.equal(calls[0]?.headers.get('x-csrf-token'), 'tok-1');
  assert.equal(calls[0]?.headers.get('content-type'), 'application/json');
  assert.equal(calls[0]?.credentials, 'same-origin');
  assert.equal(calls[1]?.headers.get('x-csrf-token'), 'tok-1');
  assert.equal(calls[1]?.headers.has('content-type'), false);
});

test('the CSRF token is never sent to another origin', async () => {
  const storage = memoryStorage();
  storage.setItem(CSRF_STORAGE_KEY, 'tok-1');
  const { fetch, calls } = fakeFetch(() => json(401, { error: 'invalid_token' }));
  const auth = createLatchkeyClient({ baseUrl: 'http://shop.test', storage, fetch });

  const res = await auth.fetch('https://elsewhere.test/api');
  await auth.fetch('/api/cart');

  assert.equal(res.status, 401);
  assert.equal(calls[0]?.url, 'https://elsewhere.test/api');
  assert.equal(calls[0]?.headers.has('x-csrf-token'), false, 'token leaked to a foreign origin');
  assert.equal(calls.filter((c) => c.url.endsWith('/auth/refresh')).length, 1, 'a foreign 401 must not trigger a refresh');
  assert.equal(calls[1]?.url, 'http://shop.test/api/cart');
  assert.equal(calls[1]?.headers.get('x-csrf-token'), 'tok-1');
});

/** An API whose access token is expired until one refresh succeeds. */
function expiringApi(opts: { refreshStatus?: number; apiAlways401?: boolean } = {}) {
  let generation = 1;
  return fakeFetch((call) => {
    if (call.url.endsWith('/auth/refresh')) {
      if (opts.refreshStatus !== undefined && opts.refreshStatus !== 200) {
        return json(opts.refreshStatus, { error: 'invalid_grant', error_description: 'session expired' });
      }
      if (call.headers.get('x-csrf-token') !== `tok-${generation}`) return json(403, { error: 'csrf_mismatch' });
      generation += 1;
      return new Response(null, { status: 204, headers: { 'X-CSRF-Token': `tok-${generation}` } });
    }
    if (opts.apiAlways401 || call.headers.get('x-csrf-token') !== 'tok-2') {
      return json(401, { error: 'invalid_token', error_description: 'token expired' });
    }
    return json(200, { items: [] });
  });
}

test('single-flight: five concurrent 401s share one refresh and every request is retried', async () => {
  const storage = memoryStorage();
  storage.setItem(CSRF_STORAGE_KEY, 'tok-1');
  const { fetch, calls } = expiringApi();
  const auth = createLatchkeyClient({ storage, fetch });
  const changes: AuthChange[] = [];
  auth.onChange((c) => changes.push(c));

  const results = await Promise.all(Array.from({ length: 5 }, () => auth.fetch('/api/cart')));

  assert.deepEqual(results.map((r) => r.status), [200, 200, 200, 200, 200]);
  assert.equal(calls.filter((c) => c.url === '/auth/refresh').length, 1);
  assert.equal(calls.filter((c) => c.url === '/api/cart').length, 10);
  assert.equal(auth.csrfToken(), 'tok-2');
  assert.deepEqual(changes, [{ type: 'refresh', authenticated: true, reason: 'refresh' }]);
});

test('a request that gets 401 after another one already refreshed retries without a second refresh', async () => {
  const storage = memoryStorage();
  storage.setItem(CSRF_STORAGE_KEY, 'tok-1');
  const { fetch, calls } = expiringApi();
  const auth = createLatchkeyClient({ storage, fetch });

  const slow = auth.fetch('/api/cart'); // sent with tok-1
  await auth.refresh(); // completes before `slow` sees its 401
  assert.equal((await slow).status, 200);
  assert.equal(calls.filter((c) => c.url === '/auth/refresh').length, 1);
});

test('retry once only: a 401 after a successful refresh is returned, not refreshed again', async () => {
  const storage = memoryStorage();
  storage.setItem(CSRF_STORAGE_KEY, 'tok-1');
  const { fetch, calls } = expiringApi({ apiAlways401: true });
  const auth = createLatchkeyClient({ storage, fetch });

  const res = await auth.fetch('/api/cart');

  assert.equal(res.status, 401);
  assert.equal(calls.filter((c) => c.url === '/auth/refresh').length, 1);
  assert.equal(calls.filter((c) => c.url === '/api/cart').length, 2);
});

test('a refused refresh forgets the CSRF token, notifies "logged out" and returns the original 401', async () => {
  const storage = memoryStorage();
  storage.setItem(CSRF_STORAGE_KEY, 'tok-1');
  const { fetch, calls } = expiringApi({ refreshStatus: 401 });
  const auth = createLatchkeyClient({ storage, fetch });
  const changes: AuthChange[] = [];
  auth.onChange((c) => changes.push(c));

  const results = await Promise.all([auth.fetch('/api/cart'), auth.fetch('/api/cart')]);

  assert.deepEqual(results.map((r) => r.status), [401, 401]);
  assert.equal(calls.filter((c) => c.url === '/auth/refresh').length, 1);
  assert.equal(storage.getItem(CSRF_STORAGE_KEY), null);
  assert.deepEqual(changes, [{ type: 'logout', authenticated: false, reason: 'refresh_failed' }]);
  await assert.rejects(auth.me(), { code: 'invalid_token', status: 401 });
  assert.equal(calls.filter((c) => c.url === '/auth/refresh').length, 1, 'no refresh once logged out');
});

test('a refresh that fails with a 5xx keeps the session (the server may be restarting)', async () => {
  const storage = memoryStorage();
  storage.setItem(CSRF_STORAGE_KEY, 'tok-1');
  const { fetch } = expiringApi({ refreshStatus: 503 });
  const auth = createLatchkeyClient({ storage, fetch });

  await assert.rejects(auth.refresh(), { code: 'invalid_grant', status: 503 });
  assert.equal(storage.getItem(CSRF_STORAGE_KEY), 'tok-1');
});

test('without a stored CSRF token a 401 is returned as is (no session to refresh)', async () => {
  const { fetch, calls } = expiringApi();
  const auth = createLatchkeyClient({ storage: memoryStorage(), fetch });
  const res = await auth.fetch('/api/cart');
  assert.equal(res.status, 401);
  assert.equal(calls.length, 1);
});

test('logout sends the CSRF token and clears storage, even when the server cannot be reached', async () => {
  const storage = memoryStorage();
  storage.setItem(CSRF_STORAGE_KEY, 'tok-1');
  let up = true;
  const { fetch, calls } = fakeFetch(() => {
    if (!up) throw new TypeError('fetch failed');
    return new Response(null, { status: 204 });
  });
  const auth = createLatchkeyClient({ storage, fetch, baseUrl: 'http://shop.test/', authPath: 'auth/' });
  const changes: AuthChange[] = [];
  const off = auth.onChange((c) => changes.push(c));

  await auth.logout();
  assert.equal(calls[0]?.url, 'http://shop.test/auth/logout');
  assert.equal(calls[0]?.headers.get('x-csrf-token'), 'tok-1');
  assert.equal(storage.getItem(CSRF_STORAGE_KEY), null);
  assert.deepEqual(changes, [{ type: 'logout', authenticated: false, reason: 'user' }]);

  storage.setItem(CSRF_STORAGE_KEY, 'tok-9');
  up = false;
  await assert.rejects(auth.logout(), { code: 'network_error' });
  assert.equal(storage.getItem(CSRF_STORAGE_KEY), null);

  off();
  await auth.logout().catch(() => {});
  assert.equal(changes.length, 2, 'unsubscribed listener not called');
});

test('me() refreshes an expired access token transparently', async () => {
  const storage = memoryStorage();
  storage.setItem(CSRF_STORAGE_KEY, 'tok-1');
  const { fetch } = fakeFetch((call) => {
    if (call.url === '/auth/refresh') return new Response(null, { status: 200, headers: { 'X-CSRF-Token': 'tok-2' } });
    if (call.headers.get('x-csrf-token') === 'tok-2') return json(200, { user: { id: 'u1', email: 'a@b.c' }, session_id: 's1' });
    return json(401, { error: 'invalid_token' });
  });
  const auth = createLatchkeyClient({ storage, fetch });
  const me = await auth.me();
  assert.equal(me.session_id, 's1');
  assert.equal(auth.csrfToken(), 'tok-2');
});
