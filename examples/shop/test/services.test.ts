import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { createTestIssuer, sendRequest, startJwksServer, type JwksServer, type TestIssuer, type TestResponse } from '@latchkey/testkit';
import { buildCartService } from '../src/services/cart.js';
import { main as startCustomer } from '../src/services/customer.js';
import { main as startRecommendation } from '../src/services/recommendation.js';
import type { ServiceAuthOptions } from '../src/services/config.js';

const ORIGIN = 'http://localhost:8080';
let issuer: TestIssuer;
let jwks: JwksServer;
let dataDir: string;
let cart: FastifyInstance;
let cartUrl: string;
let customer: Awaited<ReturnType<typeof startCustomer>>;
let customerUrl: string;
let recommendation: Awaited<ReturnType<typeof startRecommendation>>;
let recommendationUrl: string;
let tokenServer: Server;
let tokenRequests = 0;
const SERVICE_CLIENT = { id: 'recommendation', secret: 'test-secret-'.padEnd(43, 'x') };

/** A machine token as the auth server mints it for client credentials: no sid, no csrf. */
function machineToken(overrides: Record<string, unknown> = {}): Promise<string> {
  return issuer.mint({ sub: SERVICE_CLIENT.id, client_id: SERVICE_CLIENT.id, scope: 'cart:read', sid: undefined, csrf: undefined, ...overrides });
}

before(async () => {
  issuer = await createTestIssuer({ issuer: ORIGIN, audience: 'shop-api' });
  jwks = await startJwksServer(issuer.jwks);
  dataDir = mkdtempSync(join(tmpdir(), 'latchkey-shop-services-'));
  // A stand-in token endpoint: checks the client's Basic credentials and the form, mints a machine token.
  tokenServer = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => {
      tokenRequests++;
      const expected = `Basic ${Buffer.from(`${SERVICE_CLIENT.id}:${SERVICE_CLIENT.secret}`).toString('base64')}`;
      const params = new URLSearchParams(body);
      res.setHeader('content-type', 'application/json');
      if (req.headers.authorization !== expected || req.headers['content-type'] !== 'application/x-www-form-urlencoded') {
        res.writeHead(401).end(JSON.stringify({ error: 'invalid_client' }));
        return;
      }
      if (params.get('grant_type') !== 'client_credentials' || params.get('scope') !== 'cart:read' || params.get('resource') !== 'shop-api') {
        res.writeHead(400).end(JSON.stringify({ error: 'invalid_request' }));
        return;
      }
      void machineToken().then((access_token) => res.end(JSON.stringify({ access_token, token_type: 'Bearer', expires_in: 600, scope: 'cart:read' })));
    });
  });
  await new Promise<void>((r) => tokenServer.listen(0, '127.0.0.1', r));
  const auth: ServiceAuthOptions = { issuer: ORIGIN, audience: 'shop-api', jwksUri: jwks.url, trustedOrigins: [ORIGIN] };
  cart = await buildCartService({ auth, dataDir });
  await cart.listen({ port: 0, host: '127.0.0.1' });
  cartUrl = `http://127.0.0.1:${(cart.server.address() as AddressInfo).port}`;
  const env = {
    PORT: '0',
    HOST: '127.0.0.1',
    LATCHKEY_ISSUER: ORIGIN,
    LATCHKEY_JWKS_URI: jwks.url,
    LATCHKEY_TRUSTED_ORIGINS: ORIGIN,
    LATCHKEY_DATA_DIR: dataDir,
    CART_URL: cartUrl,
    LATCHKEY_TOKEN_URL: `http://127.0.0.1:${(tokenServer.address() as AddressInfo).port}/oauth/token`,
    LATCHKEY_CLIENT_ID: SERVICE_CLIENT.id,
    LATCHKEY_CLIENT_SECRET: SERVICE_CLIENT.secret,
  };
  customer = await startCustomer(env);
  customerUrl = `http://127.0.0.1:${(customer.server.address() as AddressInfo).port}`;
  recommendation = await startRecommendation(env);
  recommendationUrl = `http://127.0.0.1:${(recommendation.server.address() as AddressInfo).port}`;
});

after(async () => {
  await cart.close();
  await customer.close();
  await recommendation.close();
  await jwks.close();
  await new Promise((r) => tokenServer.close(r));
  rmSync(dataDir, { recursive: true, force: true });
});

/** A browser-style session: the JWT in the cookie, the CSRF value the page would hold. */
async function cookieSession(sub: string): Promise<{ cookie: string; csrf: string; token: string }> {
  const csrf = `csrf-${sub}-${crypto.randomUUID()}`;
  const token = await issuer.mint({ sub, csrf });
  return { cookie: `__Host-lk_at=${token}`, csrf, token };
}

function call(
  base: string,
  path: string,
  opts: { method?: string; session?: { cookie: string; csrf: string }; csrf?: boolean; headers?: Record<string, string>; json?: unknown; body?: string } = {},
): Promise<TestResponse> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.session) {
    headers['cookie'] = opts.session.cookie;
    if (opts.csrf !== false) headers['x-csrf-token'] = opts.session.csrf;
  }
  let body = opts.body;
  if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    headers['content-type'] ??= 'application/json';
  }
  return sendRequest(base + path, { method: opts.method ?? 'GET', headers, ...(body === undefined ? {} : { body }) });
}

const cartIds = (res: TestResponse): string[] =>
  (res.json as { items: { productId: string }[] }).items.map((i) => i.productId);

test('cart: no credentials → 401 with an RFC 6750 challenge, nothing stored', async () => {
  const res = await call(cartUrl, '/api/cart/items', { method: 'POST', json: { productId: 'sencha', quantity: 1 } });
  assert.equal(res.status, 401);
  assert.match(String(res.headers['www-authenticate']), /^Bearer realm="latchkey"/);
  assert.equal((res.json as { error: string }).error.length > 0, true);
});

test('cart: add, set, list and remove with the cookie + CSRF header; prices come from the catalog', async () => {
  const s = await cookieSession('cart-user-1');
  let res = await call(cartUrl, '/api/cart/items', { method: 'POST', session: s, json: { productId: 'espresso-beans', quantity: 2 } });
  assert.equal(res.status, 200);
  res = await call(cartUrl, '/api/cart/items', { method: 'POST', session: s, json: { productId: 'espresso-beans', quantity: 1 } });
  res = await call(cartUrl, '/api/cart/items', { method: 'POST', session: s, json: { productId: 'sencha', quantity: 1 } });
  const view = res.json as { items: { productId: string; quantity: number; lineTotal: number }[]; total: number; count: number };
  assert.deepEqual(view.items.map((i) => [i.productId, i.quantity]), [['espresso-beans', 3], ['sencha', 1]]);
  assert.equal(view.total, 3 * 2400 + 1200);
  assert.equal(view.count, 4);

  res = await call(cartUrl, '/api/cart/items/sencha', { method: 'PUT', session: s, json: { quantity: 5 } });
  assert.equal(res.status, 200);
  res = await call(cartUrl, '/api/cart/items/espresso-beans', { method: 'DELETE', session: s });
  assert.equal(res.status, 200);
  assert.deepEqual(cartIds(res), ['sencha']);
  res = await call(cartUrl, '/api/cart', { session: s, csrf: false }); // GET needs no CSRF header
  assert.equal(res.status, 200);
  assert.deepEqual((res.json as { items: { quantity: number }[] }).items.map((i) => i.quantity), [5]);
});

test('cart (csrf rule): a cookie POST without X-CSRF-Token or with the wrong one is 403 and changes nothing', async () => {
  const s = await cookieSession('cart-user-csrf');
  for (const headers of [{}, { 'x-csrf-token': 'forged' }, { 'x-csrf-token': '' }] as Record<string, string>[]) {
    const res = await call(cartUrl, '/api/cart/items', { method: 'POST', session: s, csrf: false, headers, json: { productId: 'sencha', quantity: 1 } });
    assert.equal(res.status, 403, JSON.stringify(headers));
  }
  const del = await call(cartUrl, '/api/cart/items/sencha', { method: 'DELETE', session: s, csrf: false });
  assert.equal(del.status, 403);
  assert.deepEqual(cartIds(await call(cartUrl, '/api/cart', { session: s })), []);
});

test('cart (cross-site rule): a foreign Origin or Sec-Fetch-Site: cross-site is refused even with the CSRF value', async () => {
  const s = await cookieSession('cart-user-xsite');
  for (const headers of [{ origin: 'http://127.0.0.1:9999' }, { origin: 'null' }, { 'sec-fetch-site': 'cross-site' }] as Record<string, string>[]) {
    const res = await call(cartUrl, '/api/cart/items', { method: 'POST', session: s, headers, json: { productId: 'sencha', quantity: 1 } });
    assert.equal(res.status, 403, JSON.stringify(headers));
  }
  const ok = await call(cartUrl, '/api/cart/items', { method: 'POST', session: s, headers: { origin: ORIGIN }, json: { productId: 'sencha', quantity: 1 } });
  assert.equal(ok.status, 200);
});

test('cart: a Bearer token needs no CSRF header', async () => {
  const token = await issuer.mint({ sub: 'cart-user-bearer', csrf: undefined });
  const res = await call(cartUrl, '/api/cart/items', {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    json: { productId: 'pothos', quantity: 1 },
  });
  assert.equal(res.status, 200);
  assert.deepEqual(cartIds(res), ['pothos']);
});

test('cart: hostile bodies get a coded 4xx, never a 500, and change nothing', async () => {
  const s = await cookieSession('cart-user-hostile');
  const cases: { body: string; type?: string; status: number; error: string }[] = [
    { body: JSON.stringify({ productId: 'nope', quantity: 1 }), status: 400, error: 'unknown_product' },
    { body: JSON.stringify({ productId: '__proto__', quantity: 1 }), status: 400, error: 'invalid_request' },
    { body: JSON.stringify({ productId: 'sencha', quantity: 0 }), status: 400, error: 'invalid_request' },
    { body: JSON.stringify({ productId: 'sencha', quantity: 100 }), status: 400, error: 'invalid_request' },
    { body: JSON.stringify({ productId: 'sencha', quantity: 1.5 }), status: 400, error: 'invalid_request' },
    { body: JSON.stringify({ productId: 'sencha', quantity: '1' }), status: 400, error: 'invalid_request' },
    { body: JSON.stringify({ productId: 'sencha', quantity: 1, price: 1 }), status: 400, error: 'invalid_request' },
    { body: JSON.stringify(['sencha', 1]), status: 400, error: 'invalid_request' },
    { body: '{"productId": "sencha", "quantity": 1', status: 400, error: 'invalid_json' },
    { body: '', status: 400, error: 'invalid_json' },
    { body: 'productId=sencha&quantity=1', type: 'application/x-www-form-urlencoded', status: 415, error: 'unsupported_media_type' },
    { body: JSON.stringify({ productId: 'sencha', quantity: 1 }), type: 'text/plain', status: 415, error: 'unsupported_media_type' },
    { body: JSON.stringify({ productId: 'sencha', quantity: 1, pad: 'x'.repeat(10_000) }), status: 413, error: 'payload_too_large' },
  ];
  for (const c of cases) {
    const res = await call(cartUrl, '/api/cart/items', {
      method: 'POST',
      session: s,
      headers: { 'content-type': c.type ?? 'application/json' },
      body: c.body,
    });
    assert.equal(res.status, c.status, c.body.slice(0, 60));
    assert.equal((res.json as { error: string }).error, c.error, c.body.slice(0, 60));
  }
  const bad = await call(cartUrl, '/api/cart/items/..%2Fx', { method: 'DELETE', session: s });
  assert.equal(bad.status, 400);
  const unknown = await call(cartUrl, '/api/cart/items/nope', { method: 'DELETE', session: s });
  assert.equal((unknown.json as { error: string }).error, 'unknown_product');
  for (let i = 0; i < 2; i++) {
    await call(cartUrl, '/api/cart/items', { method: 'POST', session: s, json: { productId: 'sencha', quantity: 50 } });
  }
  const over = await call(cartUrl, '/api/cart', { session: s });
  assert.deepEqual((over.json as { items: { quantity: number }[] }).items.map((i) => i.quantity), [50], 'the line never exceeds 99');
});

test('cart: each user sees only their own cart', async () => {
  const a = await cookieSession('cart-user-a');
  const b = await cookieSession('cart-user-b');
  await call(cartUrl, '/api/cart/items', { method: 'POST', session: a, json: { productId: 'desk-lamp', quantity: 1 } });
  assert.deepEqual(cartIds(await call(cartUrl, '/api/cart', { session: b })), []);
  assert.deepEqual(cartIds(await call(cartUrl, '/api/cart', { session: a })), ['desk-lamp']);
});

test('customer: profile from the token plus stored fields; name can be set; orders use catalog prices', async () => {
  const s = await cookieSession('customer-1');
  let res = await call(customerUrl, '/api/customer/profile', { session: s });
  assert.equal(res.status, 200);
  const profile = (res.json as { profile: { subject: string; name: string | null; sessionId: string } }).profile;
  assert.equal(profile.subject, 'customer-1');
  assert.equal(profile.name, null);
  assert.equal(profile.sessionId, 'session-1');

  res = await call(customerUrl, '/api/customer/profile', { method: 'PUT', session: s, json: { name: '  Ada  ' } });
  assert.equal(res.status, 200);
  assert.equal((res.json as { profile: { name: string } }).profile.name, 'Ada');

  res = await call(customerUrl, '/api/customer/orders', {
    method: 'POST',
    session: s,
    json: { items: [{ productId: 'espresso-beans', quantity: 2 }, { productId: 'moka-pot', quantity: 1 }] },
  });
  assert.equal(res.status, 201);
  const order = (res.json as { order: { id: string; total: number } }).order;
  assert.equal(order.total, 2 * 2400 + 3500);
  res = await call(customerUrl, '/api/customer/orders', { session: s });
  assert.deepEqual((res.json as { orders: { id: string }[] }).orders.map((o) => o.id), [order.id]);
});

test('customer: a price sent by the page, bad lines, non-JSON and missing CSRF are refused', async () => {
  const s = await cookieSession('customer-2');
  const refused: [unknown, string][] = [
    [{ items: [{ productId: 'sencha', quantity: 1, price: 1 }] }, 'invalid_request'],
    [{ items: [] }, 'empty_order'],
    [{ items: [{ productId: 'nope', quantity: 1 }] }, 'unknown_product'],
    [{ items: [{ productId: 'sencha', quantity: 1 }, { productId: 'sencha', quantity: 2 }] }, 'invalid_request'],
    [{ items: 'sencha' }, 'invalid_request'],
    [{ items: [{ productId: 'sencha', quantity: 1 }], total: 0 }, 'invalid_request'],
  ];
  for (const [json, error] of refused) {
    const res = await call(customerUrl, '/api/customer/orders', { method: 'POST', session: s, json });
    assert.equal(res.status, 400, JSON.stringify(json));
    assert.equal((res.json as { error: string }).error, error, JSON.stringify(json));
  }
  const plain = await call(customerUrl, '/api/customer/orders', { method: 'POST', session: s, headers: { 'content-type': 'text/plain' }, body: '{"items":[]}' });
  assert.equal(plain.status, 415);
  const broken = await call(customerUrl, '/api/customer/profile', { method: 'PUT', session: s, headers: { 'content-type': 'application/json' }, body: '{' });
  assert.equal(broken.status, 400);
  assert.equal((broken.json as { error: string }).error, 'invalid_json');
  const noCsrf = await call(customerUrl, '/api/customer/profile', { method: 'PUT', session: s, csrf: false, json: { name: 'Mallory' } });
  assert.equal(noCsrf.status, 403);
  const control = await call(customerUrl, '/api/customer/profile', { method: 'PUT', session: s, json: { name: 'a\u0000b' } });
  assert.equal(control.status, 400);
  const orders = await call(customerUrl, '/api/customer/orders', { session: s });
  assert.deepEqual((orders.json as { orders: unknown[] }).orders, []);
  const profile = await call(customerUrl, '/api/customer/profile', { session: s });
  assert.equal((profile.json as { profile: { name: string | null } }).profile.name, null);
});

test('recommendation: reads the user\'s cart with its own client-credentials token (fetched once, cached) and recommends from it', async () => {
  const s = await cookieSession('reco-1');
  const before = tokenRequests;
  let res = await call(recommendationUrl, '/api/recommendations', { session: s, csrf: false });
  assert.equal(res.status, 200);
  const empty = res.json as { recommendations: { product: { id: string } }[]; basedOn: string[] };
  assert.deepEqual(empty.basedOn, []);
  assert.equal(empty.recommendations.length, 4);

  await call(cartUrl, '/api/cart/items', { method: 'POST', session: s, json: { productId: 'espresso-beans', quantity: 1 } });
  res = await call(recommendationUrl, '/api/recommendations', { session: s });
  const withBeans = res.json as { recommendations: { product: { id: string }; reason: string }[]; basedOn: string[] };
  assert.deepEqual(withBeans.basedOn, ['espresso-beans']);
  const ids = withBeans.recommendations.map((r) => r.product.id);
  assert.ok(!ids.includes('espresso-beans'));
  assert.deepEqual(new Set(ids.slice(0, 2)), new Set(['moka-pot', 'burr-grinder']));

  // Another user, a Bearer caller: still the same cached service token.
  const other = await issuer.mint({ sub: 'reco-2', csrf: undefined });
  res = await call(recommendationUrl, '/api/recommendations', { headers: { authorization: `Bearer ${other}` } });
  assert.equal(res.status, 200);
  assert.deepEqual((res.json as { basedOn: string[] }).basedOn, []);
  assert.ok(tokenRequests - before <= 1, `one token request at most, got ${tokenRequests - before}`);

  const anon = await call(recommendationUrl, '/api/recommendations');
  assert.equal(anon.status, 401);
});

test('cart /internal/carts/:userId: a service token with cart:read reads any user\'s cart', async () => {
  const s = await cookieSession('internal-user');
  await call(cartUrl, '/api/cart/items', { method: 'POST', session: s, json: { productId: 'sencha', quantity: 2 } });
  const res = await call(cartUrl, '/internal/carts/internal-user', { headers: { authorization: `Bearer ${await machineToken()}` } });
  assert.equal(res.status, 200);
  assert.deepEqual((res.json as { items: { productId: string; quantity: number }[] }).items.map((i) => [i.productId, i.quantity]), [['sencha', 2]]);
});

test('cart /internal/carts/:userId (service-token rule): no token 401, user tokens 403 even with cart:read, no scope 403, wrong audience 401', async () => {
  const path = '/internal/carts/internal-user';
  const bearer = (t: string) => ({ headers: { authorization: `Bearer ${t}` } });
  assert.equal((await call(cartUrl, path)).status, 401);
  const userBearer = await call(cartUrl, path, bearer(await issuer.mint({ sub: 'internal-user', scope: 'cart:read', csrf: undefined })));
  assert.equal(userBearer.status, 403);
  assert.equal((userBearer.json as { error: string }).error, 'service_token_required');
  const s = await cookieSession('internal-user');
  const userCookie = await call(cartUrl, path, { session: s });
  assert.equal(userCookie.status, 403);
  assert.equal((userCookie.json as { error: string }).error, 'service_token_required');
  const noScope = await call(cartUrl, path, bearer(await machineToken({ scope: 'orders:read' })));
  assert.equal(noScope.status, 403);
  assert.equal((noScope.json as { error: string }).error, 'insufficient_scope');
  assert.match(String(noScope.headers['www-authenticate']), /insufficient_scope/);
  const otherAudience = await call(cartUrl, path, bearer(await machineToken({ aud: 'billing-api' })));
  assert.equal(otherAudience.status, 401);
  const badId = await call(cartUrl, '/internal/carts/..%2F..%2Fetc', bearer(await machineToken()));
  assert.equal(badId.status, 400);
});
