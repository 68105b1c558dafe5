/**
 * CSRF, cross-site and session rules over real HTTP against the whole shop (launcher: auth server,
 * gateway, three services), through the gateway as a browser would reach it. Every refused request
 * must leave the stores exactly as they were (a snapshot of every SQLite table in the data folder).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { sendRequest, type TestResponse } from '@latchkey/testkit';
import { startTestShop } from './helpers.js';

let env: Awaited<ReturnType<typeof startTestShop>>;
let base: string;
let port: string;

before(async () => {
  env = await startTestShop();
  base = env.shop.url;
  port = new URL(base).port;
});
after(async () => {
  await env?.close();
});

interface Session {
  at: string;
  rt: string;
  csrf: string;
  email: string;
}

function cookiesOf(res: TestResponse): Map<string, string> {
  const out = new Map<string, string>();
  const raw = res.headers['set-cookie'] ?? [];
  for (const line of raw) {
    const pair = line.split(';')[0] ?? '';
    const eq = pair.indexOf('=');
    out.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return out;
}

let users = 0;
async function signupAndLogin(): Promise<Session> {
  const email = `csrf-${++users}-${Date.now()}@example.com`;
  const json = { 'content-type': 'application/json', origin: base };
  const signup = await sendRequest(`${base}/auth/signup`, { method: 'POST', headers: json, body: JSON.stringify({ email, password: 'password-123', name: 'T' }) });
  assert.equal(signup.status, 201, signup.text);
  return login(email);
}

async function login(email: string, extraHeaders: Record<string, string> = {}): Promise<Session> {
  const res = await sendRequest(`${base}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: base, ...extraHeaders },
    body: JSON.stringify({ email, password: 'password-123' }),
  });
  assert.equal(res.status, 200, res.text);
  const c = cookiesOf(res);
  return { at: c.get('__Host-lk_at') ?? '', rt: c.get('__Secure-lk_rt') ?? '', csrf: String(res.headers['x-csrf-token']), email };
}

async function tokenModeAccessToken(email: string): Promise<string> {
  const res = await sendRequest(`${base}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: 'password-123', mode: 'token' }),
  });
  assert.equal(res.status, 200, res.text);
  return (res.json as { access_token: string }).access_token;
}

function addToCart(headers: Record<string, string>, body = JSON.stringify({ productId: 'sencha', quantity: 1 }), contentType = 'application/json', path = '/api/cart/items') {
  return sendRequest(`${base}${path}`, { method: 'POST', headers: { 'content-type': contentType, ...headers }, body });
}

/** Every row of every table of every SQLite file in the data folder (rate-limit counters excluded). */
function snapshot(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const file of readdirSync(env.shop.dataDir).filter((f) => f.endsWith('.sqlite') || f.endsWith('.db'))) {
    const db = new Database(join(env.shop.dataDir, file), { readonly: true, fileMustExist: true });
    try {
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[];
      for (const { name } of tables) {
        if (name === 'rate_limits') continue;
        out[`${file}:${name}`] = JSON.stringify(db.prepare(`SELECT * FROM "${name}"`).all());
      }
    } finally {
      db.close();
    }
  }
  return out as Record<string, string>;
}

function assertCode(res: TestResponse, status: number, code: string, label = ''): void {
  assert.equal(res.status, status, `${label} ${res.text}`);
  assert.equal((res.json as { error?: string }).error, code, label);
}

async function cartOf(s: Session): Promise<Array<[string, number]>> {
  const res = await sendRequest(`${base}/api/cart`, { headers: { cookie: `__Host-lk_at=${s.at}` } });
  return (res.json as { items: Array<{ productId: string; quantity: number }> }).items.map((i) => [i.productId, i.quantity]);
}

test('csrf: header missing, claim missing (token-mode token in the cookie), both missing, another session\'s header → 403, nothing changes', async () => {
  const a = await signupAndLogin();
  const a2 = await login(a.email); // a second session of the same user
  const tokenMode = await tokenModeAccessToken(a.email); // signed, valid, but without a csrf claim
  const before = snapshot();
  const same = { origin: base, 'sec-fetch-site': 'same-origin' };
  assertCode(await addToCart({ ...same, cookie: `__Host-lk_at=${a.at}` }), 403, 'csrf_token_missing', 'header missing');
  assertCode(await addToCart({ ...same, cookie: `__Host-lk_at=${tokenMode}`, 'x-csrf-token': a.csrf }), 403, 'csrf_token_mismatch', 'claim missing');
  assertCode(await addToCart({ ...same, cookie: `__Host-lk_at=${tokenMode}` }), 403, 'csrf_token_missing', 'both missing');
  assertCode(await addToCart({ ...same, cookie: `__Host-lk_at=${tokenMode}`, 'x-csrf-token': '' }), 403, 'csrf_token_missing', 'both missing, empty header');
  assertCode(await addToCart({ ...same, cookie: `__Host-lk_at=${a.at}`, 'x-csrf-token': a2.csrf }), 403, 'csrf_token_mismatch', 'header of another session');
  assert.deepEqual(snapshot(), before);
  assert.deepEqual(await cartOf(a), []);
  // The legitimate request works.
  assert.equal((await addToCart({ ...same, cookie: `__Host-lk_at=${a.at}`, 'x-csrf-token': a.csrf })).status, 200);
});

test('csrf: the token only in the query string or the body is not accepted', async () => {
  const a = await signupAndLogin();
  const before = snapshot();
  const cookie = `__Host-lk_at=${a.at}`;
  for (const q of [`csrf=${a.csrf}`, `x-csrf-token=${a.csrf}`, `X-CSRF-Token=${a.csrf}`, `_csrf=${a.csrf}`]) {
    assertCode(await addToCart({ cookie, origin: base }, undefined, undefined, `/api/cart/items?${q}`), 403, 'csrf_token_missing', q);
  }
  for (const field of ['csrf', 'x-csrf-token', 'X-CSRF-Token', '_csrf']) {
    const body = JSON.stringify({ productId: 'sencha', quantity: 1, [field]: a.csrf });
    assertCode(await addToCart({ cookie, origin: base }, body), 403, 'csrf_token_missing', field);
  }
  const refresh = await sendRequest(`${base}/auth/refresh?csrf=${a.csrf}`, { method: 'POST', headers: { cookie: `__Secure-lk_rt=${a.rt}`, origin: base } });
  assertCode(refresh, 403, 'csrf_token_missing', 'refresh with the token in the query');
  assert.deepEqual(snapshot(), before);
});

test('json only: text/plain, form and multipart bodies on JSON endpoints are refused (415) even with a valid CSRF header', async () => {
  const a = await signupAndLogin();
  const before = snapshot();
  const headers = { cookie: `__Host-lk_at=${a.at}`, 'x-csrf-token': a.csrf, origin: base };
  const bodies: Array<[string, string]> = [
    ['text/plain', JSON.stringify({ productId: 'sencha', quantity: 1 })],
    ['text/plain;charset=UTF-8', '{"productId":"sencha","quantity":1}'],
    ['application/x-www-form-urlencoded', 'productId=sencha&quantity=1'],
    ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="productId"\r\n\r\nsencha\r\n--x--\r\n'],
  ];
  for (const [type, body] of bodies) {
    const cart = await addToCart(headers, body, type);
    assert.equal(cart.status, 415, `cart ${type}: ${cart.text}`);
    const order = await sendRequest(`${base}/api/customer/orders`, { method: 'POST', headers: { ...headers, 'content-type': type }, body });
    assert.equal(order.status, 415, `orders ${type}: ${order.text}`);
    const loginRes = await sendRequest(`${base}/auth/login`, { method: 'POST', headers: { 'content-type': type, origin: base }, body: `email=${a.email}&password=password-123` });
    assertCode(loginRes, 415, 'unsupported_media_type', `login ${type}`);
  }
  assert.deepEqual(snapshot(), before);
});

test('cross-site: Origin null and look-alike origins are refused at the services and the auth server', async () => {
  const a = await signupAndLogin();
  const before = snapshot();
  const origins = [
    'null',
    `http://localhost:${port}.attacker.test`,
    `http://localhost.attacker.test:${port}`,
    `http://localhost:${port}@attacker.test`,
    `http://attacker.test@localhost:${port}`,
    `http://user:pass@localhost:${port}`,
    `https://localhost:${port}`,
    `http://localhost:${Number(port) + 1}`,
    `http://localhost:${port}/`,
    `http://localhost:${port}.`,
    'http://attacker.test',
  ];
  for (const origin of origins) {
    const cart = await addToCart({ cookie: `__Host-lk_at=${a.at}`, 'x-csrf-token': a.csrf, origin });
    assertCode(cart, 403, 'cross_site_request', `cart ${origin}`);
    const refresh = await sendRequest(`${base}/auth/refresh`, { method: 'POST', headers: { cookie: `__Secure-lk_rt=${a.rt}`, 'x-csrf-token': a.csrf, origin } });
    assertCode(refresh, 403, 'cross_site_request', `refresh ${origin}`);
    const logout = await sendRequest(`${base}/auth/logout`, { method: 'POST', headers: { cookie: `__Secure-lk_rt=${a.rt}; __Host-lk_at=${a.at}`, 'x-csrf-token': a.csrf, origin } });
    assertCode(logout, 403, 'cross_site_request', `logout ${origin}`);
  }
  // Sec-Fetch-Site: cross-site with no Origin at all (e.g. a top-level form navigation).
  assertCode(await addToCart({ cookie: `__Host-lk_at=${a.at}`, 'x-csrf-token': a.csrf, 'sec-fetch-site': 'cross-site' }), 403, 'cross_site_request');
  assertCode(
    await sendRequest(`${base}/auth/logout`, { method: 'POST', headers: { cookie: `__Secure-lk_rt=${a.rt}`, 'x-csrf-token': a.csrf, 'sec-fetch-site': 'cross-site' } }),
    403,
    'cross_site_request',
  );
  assert.deepEqual(snapshot(), before);
  // The session survived every attempt.
  const ok = await sendRequest(`${base}/auth/refresh`, { method: 'POST', headers: { cookie: `__Secure-lk_rt=${a.rt}`, 'x-csrf-token': a.csrf, origin: base } });
  assert.equal(ok.status, 200, ok.text);
});

test('GET never changes state: every GET route, including GETs on state-changing URLs, with valid cookies', async () => {
  const a = await signupAndLogin();
  const token = await tokenModeAccessToken(a.email);
  await addToCart({ cookie: `__Host-lk_at=${a.at}`, 'x-csrf-token': a.csrf, origin: base });
  const before = snapshot();
  const cookie = `__Host-lk_at=${a.at}; __Secure-lk_rt=${a.rt}`;
  const paths = [
    '/', '/healthz', '/api/products', '/api/cart', '/api/customer/profile', '/api/customer/orders', '/api/recommendations',
    '/auth/me', '/.well-known/jwks.json', '/.well-known/oauth-authorization-server',
    '/api/cart/items', '/api/cart/items?productId=moka-pot&quantity=5', '/api/cart/items/sencha', '/api/cart/items/sencha?_method=DELETE',
    '/api/customer/orders?items=sencha', '/api/customer/profile?name=Mallory',
    '/auth/logout', '/auth/logout-all', '/auth/refresh', `/auth/login?email=${encodeURIComponent(a.email)}&password=password-123`,
    '/auth/signup?email=x@example.com&password=password-123', '/auth/sessions',
    '/oauth/token?grant_type=client_credentials', '/oauth/revoke', '/oauth/introspect',
  ];
  for (const path of paths) {
    const variants: Array<Record<string, string>> = [{ cookie, 'x-csrf-token': a.csrf }, { authorization: `Bearer ${token}` }];
    for (const headers of variants) {
      const res = await sendRequest(`${base}${path}`, { headers });
      assert.ok(res.status < 500, `GET ${path}: ${res.status} ${res.text}`);
      assert.equal(res.headers['set-cookie'], undefined, `GET ${path} set a cookie`);
      const head = await sendRequest(`${base}${path}`, { method: 'HEAD', headers });
      assert.ok(head.status < 500, `HEAD ${path}: ${head.status}`);
    }
  }
  assert.deepEqual(snapshot(), before, 'a GET or HEAD changed stored state');
});

test('sessions: a rotated refresh token replayed never yields a new session and ends the session once the grace is over', async () => {
  const a = await signupAndLogin();
  const refresh = (rt: string, csrf: string) =>
    sendRequest(`${base}/auth/refresh`, { method: 'POST', headers: { cookie: `__Secure-lk_rt=${rt}`, 'x-csrf-token': csrf, origin: base } });
  const first = await refresh(a.rt, a.csrf);
  assert.equal(first.status, 200, first.text);
  const next = { rt: cookiesOf(first).get('__Secure-lk_rt') ?? '', csrf: String(first.headers['x-csrf-token']) };
  assert.notEqual(next.rt, a.rt);
  const second = await refresh(next.rt, next.csrf);
  assert.equal(second.status, 200, second.text);
  const newest = { rt: cookiesOf(second).get('__Secure-lk_rt') ?? '', csrf: String(second.headers['x-csrf-token']) };
  // The first token, two rotations old, is a replay: refused, and the whole session is revoked.
  const replay = await refresh(a.rt, a.csrf);
  assertCode(replay, 401, 'refresh_token_reused');
  const after = await refresh(newest.rt, newest.csrf);
  assert.equal(after.status, 401, `the session must be revoked after a replay: ${after.text}`);
});

test('sessions: logout really revokes (refresh and /auth/me refused afterwards)', async () => {
  const a = await signupAndLogin();
  const out = await sendRequest(`${base}/auth/logout`, { method: 'POST', headers: { cookie: `__Secure-lk_rt=${a.rt}; __Host-lk_at=${a.at}`, 'x-csrf-token': a.csrf, origin: base } });
  assert.equal(out.status, 204, out.text);
  const refresh = await sendRequest(`${base}/auth/refresh`, { method: 'POST', headers: { cookie: `__Secure-lk_rt=${a.rt}`, 'x-csrf-token': a.csrf, origin: base } });
  assertCode(refresh, 401, 'invalid_refresh_token');
  const me = await sendRequest(`${base}/auth/me`, { headers: { cookie: `__Host-lk_at=${a.at}` } });
  assertCode(me, 401, 'invalid_token');
});

test('sessions: login always starts a new session (no fixation by a planted refresh or access cookie)', async () => {
  const attacker = await signupAndLogin();
  const victim = await signupAndLogin();
  // The attacker plants their own cookies in the victim's browser, then the victim signs in.
  const fresh = await login(victim.email, { cookie: `__Secure-lk_rt=${attacker.rt}; __Host-lk_at=${attacker.at}` });
  const sid = (rt: string) => rt.split('.')[0];
  assert.notEqual(sid(fresh.rt), sid(attacker.rt));
  assert.notEqual(sid(fresh.rt), sid(victim.rt));
  assert.notEqual(fresh.csrf, attacker.csrf);
  // The planted session still belongs to the attacker only: it never became the victim's.
  const me = await sendRequest(`${base}/auth/me`, { headers: { cookie: `__Host-lk_at=${attacker.at}` } });
  assert.equal((me.json as { user: { email: string } }).user.email, attacker.email);
  const victimMe = await sendRequest(`${base}/auth/me`, { headers: { cookie: `__Host-lk_at=${fresh.at}` } });
  assert.equal((victimMe.json as { user: { email: string } }).user.email, victim.email);
});

test('sessions: one user\'s refresh cookie with another user\'s CSRF token → 403, nothing rotated', async () => {
  const a = await signupAndLogin();
  const b = await signupAndLogin();
  const before = snapshot();
  const res = await sendRequest(`${base}/auth/refresh`, { method: 'POST', headers: { cookie: `__Secure-lk_rt=${a.rt}`, 'x-csrf-token': b.csrf, origin: base } });
  assertCode(res, 403, 'csrf_token_mismatch');
  const logout = await sendRequest(`${base}/auth/logout`, { method: 'POST', headers: { cookie: `__Secure-lk_rt=${a.rt}`, 'x-csrf-token': b.csrf, origin: base } });
  assertCode(logout, 403, 'csrf_token_mismatch');
  assert.deepEqual(snapshot(), before);
});

/** A request from a chosen loopback address (Linux routes all of 127/8 to lo). */
function fromAddress(localAddress: string, path: string, body: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`http://127.0.0.1:${port}${path}`, { method: 'POST', localAddress, agent: false, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('through the gateway the auth server sees each client\'s own address: one client\'s failures do not block another, and a spoofed X-Forwarded-For does not help', async () => {
  const victim = await signupAndLogin();
  const wrong = JSON.stringify({ email: 'nobody@example.com', password: 'wrong password' });
  const statuses: number[] = [];
  for (let i = 0; i < 21; i++) {
    // Each attempt claims to come from somewhere else; the gateway overwrites the header.
    statuses.push(await fromAddress('127.0.0.2', '/auth/login', JSON.stringify({ email: `nobody${i}@example.com`, password: 'x' }), { 'x-forwarded-for': `198.51.100.${i}` }));
  }
  assert.deepEqual(statuses.slice(0, 20), Array(20).fill(401));
  assert.equal(statuses[20], 429, 'the 21st failure from one client is throttled');
  assert.equal(await fromAddress('127.0.0.2', '/auth/login', wrong), 429);
  assert.equal(await fromAddress('127.0.0.3', '/auth/login', JSON.stringify({ email: victim.email, password: 'password-123' })), 200);
});
