/**
 * Response-header rules of the shop as the browser sees it (through the gateway), one test per rule,
 * over the page, its assets, proxied API and auth responses (tokens included), and errors.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { sendRequest, type TestResponse } from '@latchkey/testkit';
import { startTestShop } from './helpers.js';

let env: Awaited<ReturnType<typeof startTestShop>>;
let all: Array<[string, TestResponse]>;
let tokenResponses: Array<[string, TestResponse]>;

before(async () => {
  env = await startTestShop();
  const base = env.shop.url;
  const json = { 'content-type': 'application/json', origin: base };
  const email = `headers-${Date.now()}@example.com`;
  await sendRequest(`${base}/auth/signup`, { method: 'POST', headers: json, body: JSON.stringify({ email, password: 'password-123' }) });
  const login = await sendRequest(`${base}/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ email, password: 'password-123' }) });
  const tokenLogin = await sendRequest(`${base}/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ email, password: 'password-123', mode: 'token' }) });
  const rt = (tokenLogin.json as { refresh_token: string }).refresh_token;
  const refresh = await sendRequest(`${base}/auth/refresh`, { method: 'POST', headers: json, body: JSON.stringify({ refresh_token: rt }) });
  tokenResponses = [['login (cookie)', login], ['login (token)', tokenLogin], ['refresh (token)', refresh]];
  for (const [label, r] of tokenResponses) assert.equal(r.status, 200, `${label}: ${r.text}`);
  const get = async (path: string, headers: Record<string, string> = {}): Promise<[string, TestResponse]> => [path, await sendRequest(base + path, { headers })];
  all = [
    ...tokenResponses,
    await get('/'),
    await get('/index.html'),
    await get('/app.js'),
    await get('/style.css'),
    await get('/assets/latchkey-client.js'),
    await get('/api/products'),
    await get('/api/cart'),
    await get('/api/customer/profile', { origin: 'https://evil.example' }),
    await get('/auth/me'),
    await get('/.well-known/jwks.json'),
    await get('/nope'),
    ['/oauth/token (error)', await sendRequest(`${base}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' })],
    ['preflight from another site', await sendRequest(`${base}/api/cart/items`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-csrf-token' } })],
  ];
});
after(async () => {
  await env?.close();
});

function csp(r: TestResponse): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const d of String(r.headers['content-security-policy'] ?? '').split(';')) {
    const [name, ...values] = d.trim().split(/\s+/);
    if (name) out.set(name, values);
  }
  return out;
}

test('the page has a real CSP: same-origin scripts only (no inline, no eval), no plugins, no base or form hijack, no framing', () => {
  const page = all.find(([p]) => p === '/')?.[1];
  assert.ok(page);
  const policy = csp(page);
  assert.deepEqual(policy.get('default-src'), ["'self'"]);
  assert.deepEqual(policy.get('script-src'), ["'self'"]);
  assert.deepEqual(policy.get('object-src'), ["'none'"]);
  assert.deepEqual(policy.get('base-uri'), ["'none'"]);
  assert.deepEqual(policy.get('form-action'), ["'self'"]);
  assert.deepEqual(policy.get('frame-ancestors'), ["'none'"]);
  for (const [directive, values] of policy) {
    for (const v of values) assert.ok(!["'unsafe-inline'", "'unsafe-eval'", '*', 'http:', 'https:', 'data:'].includes(v) || (directive === 'img-src' && v === 'data:'), `${directive} ${v}`);
  }
  // The policy is livable: the page itself has no inline script, handler attribute or style attribute.
  const html = readFileSync(new URL('../../public/index.html', import.meta.url), 'utf8');
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i);
  assert.doesNotMatch(html, /\son[a-z]+\s*=/i);
  assert.doesNotMatch(html, /\sstyle\s*=/i);
});

test('every response carries frame-ancestors \'none\' and X-Frame-Options: DENY', () => {
  for (const [label, r] of all) {
    assert.deepEqual(csp(r).get('frame-ancestors'), ["'none'"], label);
    assert.equal(r.headers['x-frame-options'], 'DENY', label);
  }
});

test('every response carries X-Content-Type-Options: nosniff', () => {
  for (const [label, r] of all) assert.equal(r.headers['x-content-type-options'], 'nosniff', label);
});

test('every response carries Referrer-Policy: no-referrer', () => {
  for (const [label, r] of all) assert.equal(r.headers['referrer-policy'], 'no-referrer', label);
});

test('no wildcard CORS, and no CORS with credentials for another site', () => {
  for (const [label, r] of all) {
    assert.notEqual(r.headers['access-control-allow-origin'], '*', label);
    const acao = r.headers['access-control-allow-origin'];
    if (acao !== undefined) assert.equal(acao, env.shop.url, label);
  }
  const foreign = all.filter(([label]) => label.includes('evil') || label.startsWith('preflight') || label.startsWith('/api/customer'));
  for (const [label, r] of foreign) {
    assert.equal(r.headers['access-control-allow-origin'], undefined, label);
    assert.equal(r.headers['access-control-allow-credentials'], undefined, label);
  }
});

test('Cache-Control: no-store on every token response and every /auth and /api answer', () => {
  for (const [label, r] of all.filter(([p]) => p.startsWith('/api') || p.startsWith('/auth') || p.startsWith('/oauth') || p.includes('login') || p.includes('refresh'))) {
    assert.match(String(r.headers['cache-control']), /\bno-store\b/, label);
  }
  for (const [label, r] of tokenResponses) assert.match(String(r.headers['cache-control']), /\bno-store\b/, label);
});
