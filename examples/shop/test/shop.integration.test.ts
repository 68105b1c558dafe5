import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CookieJar, startTestShop } from './helpers.js';

function runCli(cli: string, args: string[], cliEnv: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [cli, ...args], { env: cliEnv, timeout: 30_000 }, (err, stdout, stderr) => {
      done({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr });
    });
  });
}

let env: Awaited<ReturnType<typeof startTestShop>>;
let base: string;

before(async () => {
  env = await startTestShop();
  base = env.shop.url;
});
after(async () => {
  await env?.close();
});

/** A first-party browser-like client: cookie jar, same-origin Origin header, the CSRF value it was given. */
function client() {
  const jar = new CookieJar();
  let csrf: string | null = null;
  async function call(path: string, init: { method?: string; json?: unknown; csrf?: boolean } = {}): Promise<Response> {
    const headers: Record<string, string> = { origin: base };
    const cookie = jar.header(path.split('?')[0] ?? path);
    if (cookie) headers['cookie'] = cookie;
    if (init.csrf !== false && csrf !== null) headers['x-csrf-token'] = csrf;
    if (init.json !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(base + path, {
      method: init.method ?? 'GET',
      headers,
      ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }),
    });
    jar.store(res);
    const next = res.headers.get('x-csrf-token');
    if (next) csrf = next;
    return res;
  }
  return { jar, call, csrf: () => csrf };
}

test('the launcher printed every URL and the data folder', () => {
  const text = env.output.join('\n');
  for (const url of Object.values(env.shop.urls)) assert.ok(text.includes(url), url);
  assert.ok(text.includes(env.shop.dataDir));
  assert.match(env.shop.url, /^http:\/\/localhost:\d+$/);
});

test('full journey over real HTTP: signup, login, cart with CSRF, recommendations, profile, orders, refresh, logout', async () => {
  const user = client();
  const email = `ada-${Date.now()}@example.com`;
  const password = 'correct horse battery staple';

  let res = await user.call('/auth/signup', { method: 'POST', json: { email, password, name: 'Ada' } });
  assert.equal(res.status, 201);

  res = await user.call('/auth/login', { method: 'POST', json: { email, password } });
  assert.equal(res.status, 200);
  assert.ok(user.jar.has('__Host-lk_at') && user.jar.has('__Secure-lk_rt'));
  assert.ok(user.csrf());

  res = await user.call('/api/cart/items', { method: 'POST', json: { productId: 'espresso-beans', quantity: 2 } });
  assert.equal(res.status, 200);
  res = await user.call('/api/cart/items', { method: 'POST', json: { productId: 'sencha', quantity: 1 } });
  assert.deepEqual(((await res.json()) as { items: { productId: string }[] }).items.map((i) => i.productId), ['espresso-beans', 'sencha']);

  // The CSRF rule: the cookie alone is not enough for an unsafe method.
  res = await user.call('/api/cart/items', { method: 'POST', json: { productId: 'pothos', quantity: 1 }, csrf: false });
  assert.equal(res.status, 403);
  const refused = (await res.json()) as { error: string };
  assert.match(refused.error, /csrf/);

  res = await user.call('/api/cart/items/sencha', { method: 'DELETE' });
  assert.equal(res.status, 200);

  res = await user.call('/api/recommendations');
  assert.equal(res.status, 200);
  const recs = (await res.json()) as { recommendations: { product: { id: string } }[]; basedOn: string[] };
  assert.deepEqual(recs.basedOn, ['espresso-beans']);
  assert.ok(recs.recommendations.some((r) => r.product.id === 'moka-pot'));
  assert.ok(!recs.recommendations.some((r) => r.product.id === 'espresso-beans'));

  res = await user.call('/auth/me');
  const me = (await res.json()) as { user: { id: string; email: string } };
  assert.equal(me.user.email, email);

  res = await user.call('/api/customer/profile');
  assert.equal(res.status, 200);
  assert.equal(((await res.json()) as { profile: { subject: string } }).profile.subject, me.user.id);

  res = await user.call('/api/customer/orders', { method: 'POST', json: { items: [{ productId: 'espresso-beans', quantity: 2 }] } });
  assert.equal(res.status, 201);
  assert.equal(((await res.json()) as { order: { total: number } }).order.total, 4800);
  res = await user.call('/api/customer/orders');
  assert.equal(((await res.json()) as { orders: unknown[] }).orders.length, 1);

  // Refresh rotates the session and hands out a new CSRF token; the old one stops working.
  const oldCsrf = user.csrf();
  res = await user.call('/auth/refresh', { method: 'POST' });
  assert.equal(res.status, 200);
  assert.notEqual(user.csrf(), oldCsrf);
  res = await user.call('/api/cart/items', { method: 'POST', json: { productId: 'pothos', quantity: 1 } });
  assert.equal(res.status, 200);

  res = await user.call('/auth/logout', { method: 'POST' });
  assert.equal(res.status, 204);
  assert.ok(!user.jar.has('__Host-lk_at') && !user.jar.has('__Secure-lk_rt'), 'logout clears both cookies');
  res = await user.call('/api/cart');
  assert.equal(res.status, 401);
  assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer realm="latchkey"/);
});

test('a cart POST with the cookie but without X-CSRF-Token is 403 and changes nothing', async () => {
  const user = client();
  const email = `csrf-${Date.now()}@example.com`;
  await user.call('/auth/signup', { method: 'POST', json: { email, password: 'another long password' } });
  await user.call('/auth/login', { method: 'POST', json: { email, password: 'another long password' } });
  const res = await user.call('/api/cart/items', { method: 'POST', json: { productId: 'pothos', quantity: 1 }, csrf: false });
  assert.equal(res.status, 403);
  const cart = (await (await user.call('/api/cart')).json()) as { items: unknown[] };
  assert.deepEqual(cart.items, []);
});

test('public catalog and security headers through the gateway', async () => {
  const res = await fetch(`${base}/api/products`);
  assert.equal(res.status, 200);
  assert.ok((((await res.json()) as { products: unknown[] }).products.length) >= 12);
  const page = await fetch(`${base}/`);
  assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
  const jwks = await fetch(`${base}/.well-known/jwks.json`);
  assert.equal(jwks.status, 200);
  assert.ok(Array.isArray(((await jwks.json()) as { keys: unknown[] }).keys));
});

/** Retries `attempt` until it returns a value or `deadlineMs` passes (the feed is asynchronous across processes). */
async function eventually<T>(attempt: () => Promise<T | undefined>, deadlineMs = 5000): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const v = await attempt();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`condition not met within ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('logout reaches every service: the still-unexpired access token is refused with token_revoked by cart, customer and recommendation', async () => {
  const user = client();
  const email = `revoke-${Date.now()}@example.com`;
  const password = 'a long enough password';
  await user.call('/auth/signup', { method: 'POST', json: { email, password } });
  await user.call('/auth/login', { method: 'POST', json: { email, password } });
  const accessCookie = user.jar.header('/').split('; ').find((c) => c.startsWith('__Host-lk_at='))!;
  const routes = ['/api/cart', '/api/customer/profile', '/api/recommendations'];
  for (const route of routes) {
    const res = await fetch(base + route, { headers: { cookie: accessCookie } });
    assert.equal(res.status, 200, route);
  }
  // Every service says it follows the feed.
  for (const url of [env.shop.urls.cart, env.shop.urls.customer, env.shop.urls.recommendation]) {
    const state = await eventually(async () => {
      const status = (await (await fetch(`${url}/healthz/revocation`)).json()) as { revocation: { state: string } | null };
      return status.revocation?.state === 'connected' ? status.revocation.state : undefined;
    });
    assert.equal(state, 'connected', url);
  }
  const loggedOutAt = Date.now();
  assert.equal((await user.call('/auth/logout', { method: 'POST' })).status, 204);
  for (const route of routes) {
    const body = await eventually(async () => {
      const res = await fetch(base + route, { headers: { cookie: accessCookie } });
      const json = (await res.json()) as { error?: string };
      return res.status === 401 ? json : undefined;
    });
    assert.equal(body.error, 'token_revoked', route);
  }
  // Not an assertion (timing belongs to bench/revocation-latency.mjs), just visible in the test log.
  console.log(`# revocation reached all three services ${Date.now() - loggedOutAt} ms after logout`);
});

test('the revocation feed is not reachable through the gateway', async () => {
  const res = await fetch(`${base}/auth/revocations/stream`);
  assert.equal(res.status, 404);
  await res.body?.cancel();
});

test('service-to-service: an operator-created client gets a client-credentials token through the gateway and reads a cart on the cart service; the gateway does not route /internal', async () => {
  const cli = join(dirname(fileURLToPath(import.meta.resolve('@latchkey/server'))), 'cli.js');
  const cliEnv = { PATH: process.env['PATH'], LATCHKEY_DATA_DIR: env.shop.dataDir, LATCHKEY_AUDIENCE: 'shop-api' };
  const created = await runCli(cli, ['clients', 'create', '--name', 'Reporting', '--scopes', 'cart:read', '--audience', 'shop-api', '--json'], cliEnv);
  assert.equal(created.code, 0, created.stderr);
  const { client_id, client_secret } = JSON.parse(created.stdout) as { client_id: string; client_secret: string };
  const listed = JSON.parse((await runCli(cli, ['clients', 'list', '--json'], cliEnv)).stdout) as { client_id: string; scopes: string[] }[];
  assert.deepEqual(listed.find((c) => c.client_id === 'recommendation')?.scopes, ['cart:read'], 'the launcher registered the recommendation client');

  const tokenRes = await fetch(`${base}/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${client_id}:${client_secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&scope=cart%3Aread&resource=shop-api',
  });
  assert.equal(tokenRes.status, 200);
  const { access_token } = (await tokenRes.json()) as { access_token: string };

  // A user with something in the cart.
  const user = client();
  const email = `s2s-${Date.now()}@example.com`;
  await user.call('/auth/signup', { method: 'POST', json: { email, password: 'yet another long password' } });
  await user.call('/auth/login', { method: 'POST', json: { email, password: 'yet another long password' } });
  await user.call('/api/cart/items', { method: 'POST', json: { productId: 'moka-pot', quantity: 1 } });
  const me = (await (await user.call('/auth/me')).json()) as { user: { id: string } };

  const internal = await fetch(`${env.shop.urls.cart}/internal/carts/${me.user.id}`, { headers: { authorization: `Bearer ${access_token}` } });
  assert.equal(internal.status, 200);
  assert.deepEqual(((await internal.json()) as { items: { productId: string }[] }).items.map((i) => i.productId), ['moka-pot']);
  const viaGateway = await fetch(`${base}/internal/carts/${me.user.id}`, { headers: { authorization: `Bearer ${access_token}` } });
  assert.equal(viaGateway.status, 404);

  const introspected = await fetch(`${base}/oauth/introspect`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${client_id}:${client_secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: access_token }),
  });
  assert.equal(((await introspected.json()) as { active: boolean; client_id: string }).client_id, client_id);
});
