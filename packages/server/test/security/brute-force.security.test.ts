/**
 * Rules: failed logins are limited per account and per client address with growing windows; failed
 * refreshes per address; failed OAuth client authentication per client and per address. A blocked
 * request is `429 too_many_requests` with `Retry-After`, refused before any password work, and says
 * nothing about whether the account exists. The client address is the socket peer unless that peer
 * is a configured trusted proxy. Passwords: bounded input, no truncation-equivalent passwords.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp, loadConfig, openSqliteStore, registerClient, type ConfigOverrides, type PasswordHasher, type Store } from '../../src/index.js';
import { argon2idHasher } from '../../src/index.js';
import { assertJsonError, basic, form, FORM_HEADERS, JSON_HEADERS } from '../helpers.js';

const DAY = 86_400_000;
const T0 = Math.floor(Date.UTC(2030, 0, 1) / DAY) * DAY + 1000; // just after a day boundary: every window starts at T0 - 1000

/** A plain hasher that counts its calls and records the longest input it was asked to handle. */
function countingHasher(): PasswordHasher & { verifies: number; longest: number } {
  const h = {
    verifies: 0,
    longest: 0,
    hash: async (p: string) => `plain:${p}`,
    verify: async (hash: string, p: string) => {
      h.verifies += 1;
      h.longest = Math.max(h.longest, Buffer.byteLength(p));
      return hash === `plain:${p}`;
    },
  };
  return h;
}

interface Rig {
  app: FastifyInstance;
  store: Store;
  clock: { now: number };
  hasher: ReturnType<typeof countingHasher>;
  close(): Promise<void>;
}

async function rig(overrides: ConfigOverrides = {}, passwords?: PasswordHasher): Promise<Rig> {
  const store = openSqliteStore(':memory:');
  const clock = { now: T0 };
  const hasher = countingHasher();
  const config = loadConfig({}, { issuer: 'http://localhost:8080', audience: 'shop-api', ...overrides }, { warn: () => {} });
  const app = await buildApp(config, { store, now: () => clock.now, passwords: passwords ?? hasher });
  const res = await app.inject({ method: 'POST', url: '/auth/signup', headers: JSON_HEADERS, payload: { email: 'alice@example.com', password: 'right password' } });
  assert.equal(res.statusCode, 201, res.body);
  return { app, store, clock, hasher, close: async () => { await app.close(); await store.close(); } };
}

function login(r: Rig, email: string, password: string, extra: { remoteAddress?: string; headers?: Record<string, string> } = {}): Promise<LightMyRequestResponse> {
  return r.app.inject({
    method: 'POST',
    url: '/auth/login',
    headers: { ...JSON_HEADERS, ...(extra.headers ?? {}) },
    payload: { email, password, mode: 'token' },
    ...(extra.remoteAddress === undefined ? {} : { remoteAddress: extra.remoteAddress }),
  });
}

function retryAfter(res: LightMyRequestResponse): number {
  const v = Number(res.headers['retry-after']);
  assert.ok(Number.isInteger(v) && v >= 1, `Retry-After: ${String(res.headers['retry-after'])}`);
  return v;
}

describe('security: brute-force protection', () => {
  it('login per account: the 6th failure in a minute is 429 with Retry-After, even with the right password, and costs no hash', async () => {
    const r = await rig();
    try {
      for (let i = 0; i < 5; i++) assertJsonError(await login(r, 'alice@example.com', `wrong ${i}`), 401, 'invalid_credentials');
      const verifiesBefore = r.hasher.verifies;
      const blocked = await login(r, 'alice@example.com', 'right password');
      assertJsonError(blocked, 429, 'too_many_requests');
      assert.ok(retryAfter(blocked) <= 60);
      assert.equal(blocked.headers['cache-control'], 'no-store');
      assert.equal(r.hasher.verifies, verifiesBefore, 'a blocked attempt spends no password hash');
      // Another account from another address is not affected.
      assertJsonError(await login(r, 'bob@example.com', 'x', { remoteAddress: '10.0.0.9' }), 401, 'invalid_credentials');
      r.clock.now += 60_000;
      assert.equal((await login(r, 'alice@example.com', 'right password')).statusCode, 200);
    } finally {
      await r.close();
    }
  });

  it('login per account: back-off grows (1 min, then the 15-min window, then the hour)', async () => {
    const r = await rig();
    try {
      const waits: number[] = [];
      for (let round = 0; round < 4; round++) {
        let res: LightMyRequestResponse;
        do res = await login(r, 'alice@example.com', 'wrong');
        while (res.statusCode === 401);
        assertJsonError(res, 429, 'too_many_requests');
        const wait = retryAfter(res);
        waits.push(wait);
        r.clock.now += wait * 1000;
      }
      assert.ok(waits[0]! <= 60, `first wait ${waits[0]}`);
      assert.ok(waits[1]! > 60 && waits[1]! <= 15 * 60, `second wait ${waits[1]}`);
      assert.ok(waits[3]! > 15 * 60, `waits grow: ${waits.join(', ')}`);
    } finally {
      await r.close();
    }
  });

  it('a successful login clears the account count (not the address count)', async () => {
    const r = await rig();
    try {
      for (let i = 0; i < 4; i++) await login(r, 'alice@example.com', 'wrong');
      assert.equal((await login(r, 'alice@example.com', 'right password')).statusCode, 200);
      for (let i = 0; i < 5; i++) assertJsonError(await login(r, 'alice@example.com', 'wrong'), 401, 'invalid_credentials');
      assertJsonError(await login(r, 'alice@example.com', 'wrong'), 429, 'too_many_requests');
    } finally {
      await r.close();
    }
  });

  it('unknown and known emails get the same answers, in the same order, after the same password work', async () => {
    const r = await rig();
    try {
      const run = async (email: string, remoteAddress: string) => {
        const before = r.hasher.verifies;
        const out: string[] = [];
        for (let i = 0; i < 7; i++) {
          const res = await login(r, email, `wrong ${i}`, { remoteAddress });
          out.push(`${res.statusCode} ${res.body} ${res.headers['retry-after'] ?? ''}`);
        }
        return { out, verifies: r.hasher.verifies - before };
      };
      await r.app.inject({ url: '/healthz' }); // the dummy hash is warm
      const known = await run('alice@example.com', '10.0.0.1');
      const unknown = await run('nobody@example.com', '10.0.0.2');
      assert.deepEqual(unknown.out, known.out);
      assert.equal(unknown.verifies, known.verifies);
      assert.equal(known.verifies, 5);
    } finally {
      await r.close();
    }
  });

  it('login per address: 20 failures over many accounts block the address, not other addresses', async () => {
    const r = await rig();
    try {
      for (let i = 0; i < 20; i++) assertJsonError(await login(r, `user${i}@example.com`, 'x', { remoteAddress: '10.1.1.1' }), 401, 'invalid_credentials');
      assertJsonError(await login(r, 'alice@example.com', 'right password', { remoteAddress: '10.1.1.1' }), 429, 'too_many_requests');
      assert.equal((await login(r, 'alice@example.com', 'right password', { remoteAddress: '10.1.1.2' })).statusCode, 200);
    } finally {
      await r.close();
    }
  });

  it('X-Forwarded-For from an untrusted peer is ignored: spoofed addresses still count against the socket address', async () => {
    const r = await rig();
    try {
      for (let i = 0; i < 20; i++) {
        await login(r, `user${i}@example.com`, 'x', { remoteAddress: '10.2.2.2', headers: { 'x-forwarded-for': `198.51.100.${i}` } });
      }
      const res = await login(r, 'user99@example.com', 'x', { remoteAddress: '10.2.2.2', headers: { 'x-forwarded-for': '203.0.113.7' } });
      assertJsonError(res, 429, 'too_many_requests');
    } finally {
      await r.close();
    }
  });

  it('X-Forwarded-For from a trusted proxy names the client: clients behind the proxy are counted apart', async () => {
    const r = await rig({ trustProxy: ['10.3.3.3'] });
    try {
      for (let i = 0; i < 20; i++) {
        await login(r, `user${i}@example.com`, 'x', { remoteAddress: '10.3.3.3', headers: { 'x-forwarded-for': '198.51.100.1' } });
      }
      const same = await login(r, 'user99@example.com', 'x', { remoteAddress: '10.3.3.3', headers: { 'x-forwarded-for': '198.51.100.1' } });
      assertJsonError(same, 429, 'too_many_requests');
      const other = await login(r, 'alice@example.com', 'right password', { remoteAddress: '10.3.3.3', headers: { 'x-forwarded-for': '198.51.100.2' } });
      assert.equal(other.statusCode, 200);
      // A client cannot prepend its own entries to escape: the proxy appends the real peer last.
      const spoof = await login(r, 'user98@example.com', 'x', { remoteAddress: '10.3.3.3', headers: { 'x-forwarded-for': '203.0.113.9, 198.51.100.1' } });
      assertJsonError(spoof, 429, 'too_many_requests');
    } finally {
      await r.close();
    }
  });

  it('trustProxy is a list: true, * and catch-all ranges are refused at start-up', () => {
    for (const bad of [['true'], ['*'], ['0.0.0.0/0'], ['::/0'], ['10.0.0.0/33'], ['not-an-ip']]) {
      assert.throws(() => loadConfig({}, { trustProxy: bad }, { warn: () => {} }), /trustProxy/, bad.join(','));
    }
    assert.throws(() => loadConfig({ LATCHKEY_TRUST_PROXY: 'true' }, {}, { warn: () => {} }), /trustProxy/);
    assert.deepEqual(loadConfig({ LATCHKEY_TRUST_PROXY: '127.0.0.1, 10.0.0.0/8' }, {}, { warn: () => {} }).trustProxy, ['127.0.0.1', '10.0.0.0/8']);
    assert.deepEqual(loadConfig({ LATCHKEY_TRUST_PROXY: 'false' }, {}, { warn: () => {} }).trustProxy, []);
  });

  it('refresh per address: 30 bad refresh tokens block the address, even for a good token; other addresses refresh', async () => {
    const r = await rig();
    try {
      const good = (await login(r, 'alice@example.com', 'right password')).json<{ refresh_token: string }>().refresh_token;
      const refresh = (token: string, remoteAddress: string) =>
        r.app.inject({ method: 'POST', url: '/auth/refresh', headers: JSON_HEADERS, payload: { refresh_token: token }, remoteAddress });
      for (let i = 0; i < 30; i++) {
        assertJsonError(await refresh(`nosuchsession${i}.${'A'.repeat(43)}`, '10.4.4.4'), 401, 'invalid_refresh_token');
      }
      const blocked = await refresh(good, '10.4.4.4');
      assertJsonError(blocked, 429, 'too_many_requests');
      retryAfter(blocked);
      // The refresh_token grant shares the rule.
      const grant = await r.app.inject({
        method: 'POST', url: '/oauth/token', headers: FORM_HEADERS, remoteAddress: '10.4.4.4',
        payload: form({ grant_type: 'refresh_token', refresh_token: good, client_id: 'latchkey-native' }),
      });
      assertJsonError(grant, 429, 'too_many_requests');
      assert.equal((await refresh(good, '10.4.4.5')).statusCode, 200);
    } finally {
      await r.close();
    }
  });

  it('OAuth client authentication per client: 5 wrong secrets block the client (429), even with the right secret', async () => {
    const r = await rig();
    try {
      const { client, secret } = await registerClient(r.store.clients, { id: 'reports', name: 'Reports', scopes: 'orders:read', audiences: ['shop-api'] }, T0);
      const token = (s: string, remoteAddress = '10.5.5.5') =>
        r.app.inject({ method: 'POST', url: '/oauth/token', headers: { ...FORM_HEADERS, authorization: basic(client.id, s) }, payload: form({ grant_type: 'client_credentials' }), remoteAddress });
      for (let i = 0; i < 5; i++) assertJsonError(await token(`wrong-${i}`, `10.5.5.${10 + i}`), 401, 'invalid_client');
      const blocked = await token(secret);
      assertJsonError(blocked, 429, 'too_many_requests');
      assert.ok(retryAfter(blocked) <= 60);
      r.clock.now += 60_000;
      assert.equal((await token(secret)).statusCode, 200);
      // Per address: 20 failures over many client ids block the address.
      for (let i = 0; i < 20; i++) await r.app.inject({ method: 'POST', url: '/oauth/token', headers: { ...FORM_HEADERS, authorization: basic(`c${i}x`, 'nope') }, payload: form({ grant_type: 'client_credentials' }), remoteAddress: '10.6.6.6' });
      assertJsonError(await token(secret, '10.6.6.6'), 429, 'too_many_requests');
    } finally {
      await r.close();
    }
  });

  it('rateLimits: false switches the protection off (for load tests)', async () => {
    const r = await rig({ rateLimits: false });
    try {
      for (let i = 0; i < 8; i++) assertJsonError(await login(r, 'alice@example.com', 'wrong'), 401, 'invalid_credentials');
    } finally {
      await r.close();
    }
  });
});

describe('security: passwords', () => {
  it('very long passwords cost bounded time: the hasher never sees more than passwordMaxBytes', async () => {
    const r = await rig();
    try {
      for (const size of [1025, 4096, 15_000]) {
        // Over passwordMaxBytes: refused before any hash; over the schema's 4096 characters: refused as malformed.
        const res = await login(r, 'alice@example.com', 'p'.repeat(size));
        if (size > 4096) assertJsonError(res, 400, 'invalid_request');
        else assertJsonError(res, 401, 'invalid_credentials');
        const signup = await r.app.inject({ method: 'POST', url: '/auth/signup', headers: JSON_HEADERS, payload: { email: `long${size}@example.com`, password: 'p'.repeat(size) } });
        assertJsonError(signup, 400, size > 4096 ? 'invalid_request' : 'invalid_password');
      }
      assert.ok(r.hasher.longest <= 1024, `the hasher saw ${r.hasher.longest} bytes`);
      const huge = await login(r, 'alice@example.com', 'p'.repeat(20_000));
      assertJsonError(huge, 413, 'payload_too_large');
    } finally {
      await r.close();
    }
  });

  it('no truncation-equivalent passwords: sharing the first 72 or 1023 bytes is not enough (real Argon2id)', async () => {
    const r = await rig({}, argon2idHasher);
    try {
      const p72 = `${'a'.repeat(72)}-first`;
      const p1024 = `${'b'.repeat(1023)}1`;
      for (const [email, password] of [['t72@example.com', p72], ['t1024@example.com', p1024]] as const) {
        const res = await r.app.inject({ method: 'POST', url: '/auth/signup', headers: JSON_HEADERS, payload: { email, password } });
        assert.equal(res.statusCode, 201, res.body);
      }
      assertJsonError(await login(r, 't72@example.com', `${'a'.repeat(72)}-other`), 401, 'invalid_credentials');
      assertJsonError(await login(r, 't72@example.com', 'a'.repeat(72)), 401, 'invalid_credentials');
      assertJsonError(await login(r, 't1024@example.com', `${'b'.repeat(1023)}2`), 401, 'invalid_credentials');
      assertJsonError(await login(r, 't1024@example.com', `${p1024}x`), 401, 'invalid_credentials');
      assert.equal((await login(r, 't72@example.com', p72)).statusCode, 200);
      assert.equal((await login(r, 't1024@example.com', p1024)).statusCode, 200);
    } finally {
      await r.close();
    }
  });
});
