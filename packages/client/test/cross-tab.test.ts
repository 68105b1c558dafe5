import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createLatchkeyClient, CSRF_STORAGE_KEY, EXPIRY_STORAGE_KEY, memoryStorage, type LatchkeyClient } from '../src/index.js';

const HOURS = 3_600_000;
const json = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

/** Fake timers: captures (delay, fn) instead of waiting. */
function fakeTimers() {
  const pending: { fn: () => void; ms: number; id: number }[] = [];
  let next = 1;
  return {
    pending,
    setTimeout: (fn: () => void, ms: number) => {
      const id = next++;
      pending.push({ fn, ms, id });
      return id;
    },
    clearTimeout: (h: unknown) => {
      const i = pending.findIndex((p) => p.id === h);
      if (i >= 0) pending.splice(i, 1);
    },
    /** Runs the (single) pending timer. */
    fire() {
      const t = pending.shift();
      assert.ok(t, 'a timer is pending');
      t.fn();
    },
  };
}

/** An auth server stand-in whose clock is the real one; counts refreshes. */
function server() {
  let n = 0;
  const stats = { refreshes: 0 };
  const fetch = async (input: string): Promise<Response> => {
    await new Promise((r) => setImmediate(r));
    const exp = Math.floor(Date.now() / 1000) + 600;
    if (input.endsWith('/login')) return json(200, { user: { id: 'u', email: 'a@b.c' }, expires_in: 600, expires_at: exp }, { 'X-CSRF-Token': `csrf-${n++}` });
    if (input.endsWith('/refresh')) {
      stats.refreshes += 1;
      return json(200, { expires_in: 600, expires_at: exp }, { 'X-CSRF-Token': `csrf-${n++}` });
    }
    return json(200, {});
  };
  return { fetch, stats };
}

const clients: LatchkeyClient[] = [];
after(() => clients.forEach((c) => c.close()));

for (const offset of [5 * HOURS, -5 * HOURS, 0]) {
  test(`proactive refresh is timed from expires_in, not the device clock (device clock off by ${offset / HOURS} h)`, async () => {
    const timers = fakeTimers();
    const srv = server();
    const auth = createLatchkeyClient({ storage: memoryStorage(), fetch: srv.fetch, now: () => Date.now() + offset, setTimeout: timers.setTimeout, clearTimeout: timers.clearTimeout });
    clients.push(auth);
    await auth.login({ email: 'a@b.c', password: 'pw' });
    assert.equal(timers.pending.length, 1);
    const delay = timers.pending[0]!.ms;
    // 600 s token, 60 s lead, up to 5 s jitter: neither "already expired" (storm) nor "hours away" (early logout).
    assert.ok(delay >= 534_000 && delay <= 540_000, `delay ${delay}`);
    const skew = auth.serverClockOffsetMs();
    assert.ok(skew !== null && Math.abs(skew + offset) < 2000, `offset estimate ${skew}`);
    const refreshed = new Promise<void>((r) => auth.onChange((c) => c.type === 'refresh' && r()));
    timers.fire();
    await refreshed;
    assert.equal(srv.stats.refreshes, 1);
    assert.equal(timers.pending.length, 1, 're-armed after the refresh');
    assert.ok(timers.pending[0]!.ms >= 534_000, 'the next one is a full lifetime later, not immediately');
  });
}

test('no refresh storm even when the server hands out very short tokens: at least 5 s between proactive refreshes', async () => {
  const timers = fakeTimers();
  const storage = memoryStorage();
  const auth = createLatchkeyClient({
    storage,
    fetch: async (input) => (input.endsWith('/login') || input.endsWith('/refresh') ? json(200, { user: { id: 'u', email: 'e' }, expires_in: 1, expires_at: 0 }, { 'X-CSRF-Token': 't' + Math.random() }) : json(200, {})),
    setTimeout: timers.setTimeout,
    clearTimeout: timers.clearTimeout,
  });
  clients.push(auth);
  await auth.login({ email: 'e', password: 'p' });
  const refreshed = new Promise<void>((r) => auth.onChange((c) => c.type === 'refresh' && r()));
  timers.fire();
  await refreshed;
  assert.ok(timers.pending[0]!.ms >= 4900, `next delay ${timers.pending[0]!.ms}`);
});

test('two tabs (one storage, Web Locks present) refreshing at the same moment make one request; the other adopts its CSRF token', async () => {
  // A minimal origin-wide exclusive lock manager, as navigator.locks provides in browsers.
  let tail = Promise.resolve();
  const locks = {
    request<T>(_name: string, _opts: unknown, cb: () => Promise<T>): Promise<T> {
      const run = tail.then(cb);
      tail = run.then(() => undefined, () => undefined);
      return run;
    },
  };
  const g = globalThis as { navigator?: unknown };
  const hadNavigator = Object.getOwnPropertyDescriptor(g, 'navigator');
  Object.defineProperty(g, 'navigator', { value: { locks }, configurable: true });
  try {
    const storage = memoryStorage();
    const srv = server();
    const tabA = createLatchkeyClient({ storage, fetch: srv.fetch, proactiveRefresh: false });
    const tabB = createLatchkeyClient({ storage, fetch: srv.fetch, proactiveRefresh: false });
    await tabA.login({ email: 'a@b.c', password: 'pw' });
    await Promise.all([tabA.refresh(), tabB.refresh()]);
    assert.equal(srv.stats.refreshes, 1);
    assert.equal(tabA.csrfToken(), tabB.csrfToken());
    assert.notEqual(storage.getItem(EXPIRY_STORAGE_KEY), null);
  } finally {
    if (hadNavigator) Object.defineProperty(g, 'navigator', hadNavigator);
    else delete g.navigator;
  }
});

test('logout forgets the expiry and stops the proactive timer', async () => {
  const timers = fakeTimers();
  const storage = memoryStorage();
  const srv = server();
  const auth = createLatchkeyClient({ storage, fetch: srv.fetch, setTimeout: timers.setTimeout, clearTimeout: timers.clearTimeout });
  clients.push(auth);
  await auth.login({ email: 'a@b.c', password: 'pw' });
  assert.equal(timers.pending.length, 1);
  await auth.logout();
  assert.equal(timers.pending.length, 0);
  assert.equal(storage.getItem(EXPIRY_STORAGE_KEY), null);
  assert.equal(storage.getItem(CSRF_STORAGE_KEY), null);
  assert.equal(auth.nextRefreshAt(), null);
});

test("a tab whose localStorage lags behind another tab's refresh uses the CSRF token announced on the channel, without refreshing again", async () => {
  // Tab A refreshes; the browser shares the new access cookie at once, but tab B's localStorage still
  // holds the old CSRF token (propagation is asynchronous). The announcement on the BroadcastChannel
  // reached B before B's request came back 403 csrf_token_mismatch.
  let current = 'csrf-0';
  let refreshes = 0;
  const fetch = async (input: string, init?: RequestInit): Promise<Response> => {
    await new Promise((r) => setImmediate(r));
    if (input.endsWith('/refresh')) {
      refreshes += 1;
      current = `csrf-${refreshes}`;
      return json(200, { expires_in: 600, expires_at: Math.floor(Date.now() / 1000) + 600 }, { 'X-CSRF-Token': current });
    }
    const sent = new Headers(init?.headers).get('x-csrf-token');
    return sent === current ? json(200, { ok: true }) : json(403, { error: 'csrf_token_mismatch', error_description: 'x' });
  };
  const storageA = memoryStorage();
  const storageB = memoryStorage();
  storageA.setItem(CSRF_STORAGE_KEY, 'csrf-0');
  storageB.setItem(CSRF_STORAGE_KEY, 'csrf-0');
  const timers = fakeTimers(); // B must not need its 1.5 s fallback timer
  const tabA = createLatchkeyClient({ storage: storageA, fetch, proactiveRefresh: false });
  const tabB = createLatchkeyClient({ storage: storageB, fetch, proactiveRefresh: false, setTimeout: timers.setTimeout, clearTimeout: timers.clearTimeout });
  clients.push(tabA, tabB);
  const heard = new Promise<void>((resolve) => {
    const probe = new BroadcastChannel('latchkey');
    probe.onmessage = () => {
      probe.close();
      setImmediate(resolve);
    };
  });
  await tabA.refresh();
  await heard;
  assert.equal(storageB.getItem(CSRF_STORAGE_KEY), 'csrf-0', 'B has not seen the storage write yet');
  const res = await tabB.fetch('/api/cart/items', { method: 'POST', body: '{}' });
  assert.equal(res.status, 200);
  assert.equal(refreshes, 1, 'only tab A refreshed');
  assert.equal(storageB.getItem(CSRF_STORAGE_KEY), 'csrf-1', 'B keeps the adopted token');
});
