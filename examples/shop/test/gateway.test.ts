import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildGateway } from '../src/gateway.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** An upstream that records what reached it and answers like the auth server's login. */
async function startUpstream(name: string): Promise<{ server: Server; url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
      res.setHeader('set-cookie', ['__Host-lk_at=a; Path=/; HttpOnly; Secure; SameSite=Lax', '__Secure-lk_rt=r; Path=/auth; HttpOnly; Secure; SameSite=Strict']);
      res.setHeader('x-csrf-token', 'csrf-from-upstream');
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ upstream: name }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

let gateway: FastifyInstance;
let base: string;
const upstreams: Awaited<ReturnType<typeof startUpstream>>[] = [];

before(async () => {
  for (const name of ['auth', 'cart', 'customer']) upstreams.push(await startUpstream(name));
  const [auth, cart, customer] = upstreams;
  gateway = await buildGateway({
    authUrl: auth!.url,
    cartUrl: cart!.url,
    customerUrl: customer!.url,
    recommendationUrl: 'http://127.0.0.1:9', // nothing listens there: the gateway must answer 502, not hang
  });
  await gateway.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(gateway.server.address() as AddressInfo).port}`;
});

after(async () => {
  await gateway.close();
  for (const u of upstreams) await new Promise((r) => u.server.close(r));
});

test('the page is served with a strict CSP, nosniff, no-referrer and frame-ancestors none', async () => {
  const res = await fetch(`${base}/`);
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.match(html, /<script type="module" src="\/app.js"><\/script>/);
  assert.doesNotMatch(html, /<script>(?!<)|<script type="module">|\son[a-z]+=|style=/i, 'no inline script, handler or style');
  const csp = res.headers.get('content-security-policy') ?? '';
  assert.match(csp, /default-src 'self'/);
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
});

test('the compiled browser helper is served as a JavaScript module', async () => {
  const entry = await fetch(`${base}/assets/latchkey-client.js`);
  assert.equal(entry.status, 200);
  assert.match(entry.headers.get('content-type') ?? '', /javascript/);
  const index = await fetch(`${base}/assets/latchkey-client/index.js`);
  assert.equal(index.status, 200);
  assert.match(await index.text(), /createLatchkeyClient/);
  const map = await fetch(`${base}/assets/latchkey-client/index.d.ts`);
  assert.equal(map.status, 404);
});

test('GET /api/products is the public catalog', async () => {
  const res = await fetch(`${base}/api/products`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  const { products } = (await res.json()) as { products: { id: string; price: number }[] };
  assert.ok(products.length >= 12);
});

test('auth routes are proxied with cookies, Set-Cookie (both) and X-CSRF-Token preserved', async () => {
  const auth = upstreams[0]!;
  const res = await fetch(`${base}/auth/login?x=1`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: '__Secure-lk_rt=old', 'x-csrf-token': 'sent' },
    body: JSON.stringify({ email: 'a@b.c', password: 'pw' }),
  });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { upstream: 'auth' });
  assert.deepEqual(res.headers.getSetCookie().map((c) => c.split('=')[0]), ['__Host-lk_at', '__Secure-lk_rt']);
  assert.equal(res.headers.get('x-csrf-token'), 'csrf-from-upstream');
  const seen = auth.seen.at(-1)!;
  assert.equal(seen.url, '/auth/login?x=1');
  assert.equal(seen.headers.cookie, '__Secure-lk_rt=old');
  assert.equal(seen.headers['x-csrf-token'], 'sent');
  assert.deepEqual(JSON.parse(seen.body), { email: 'a@b.c', password: 'pw' });
});

test('bodies reach the service byte for byte, whatever their content type (the service decides)', async () => {
  const cart = upstreams[1]!;
  const form = 'productId=espresso-beans&quantity=1';
  const res = await fetch(`${base}/api/cart/items`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://evil.test' },
    body: form,
  });
  assert.equal(res.status, 200);
  const seen = cart.seen.at(-1)!;
  assert.equal(seen.body, form);
  assert.equal(seen.headers['content-type'], 'application/x-www-form-urlencoded');
  assert.equal(seen.headers.origin, 'http://evil.test', 'Origin must reach the service unchanged');
});

test('routes go to the right upstream; look-alike paths do not', async () => {
  assert.deepEqual(await (await fetch(`${base}/api/customer/profile`)).json(), { upstream: 'customer' });
  assert.deepEqual(await (await fetch(`${base}/api/cart`)).json(), { upstream: 'cart' });
  assert.deepEqual(await (await fetch(`${base}/.well-known/jwks.json`)).json(), { upstream: 'auth' });
  const lookalike = await fetch(`${base}/api/cartography`);
  assert.equal(lookalike.status, 404);
  assert.deepEqual(await lookalike.json(), { error: 'not_found', error_description: 'no such route' });
});

test('an unreachable service gives 502 upstream_unavailable JSON', async () => {
  const res = await fetch(`${base}/api/recommendations`);
  assert.equal(res.status, 502);
  assert.deepEqual(await res.json(), { error: 'upstream_unavailable', error_description: 'the service is not reachable' });
});

test('a malformed escape in the query of a proxied path reaches the service raw, never a 500', async () => {
  const auth = upstreams[0]!;
  const cart = upstreams[1]!;
  for (const [path, upstream] of [['/auth/me?x=%ff', auth], ['/.well-known/jwks.json?x=%ff', auth], ['/api/cart?a=%E0%A4%A', cart]] as const) {
    const res = await fetch(`${base}${path}`);
    assert.equal(res.status, 200, path);
    assert.equal(upstream.seen.at(-1)!.url, path, 'the query travels byte for byte');
  }
});

test('path tricks (.. segments, encoded or not, NUL) are 400 invalid_request before any route', async () => {
  const { sendRawRequest } = await import('@latchkey/testkit');
  for (const target of ['/../../etc/passwd', '/auth/../../etc/passwd', '/api/cart/%2e%2e/x', '/app.js/..\\..\\x', '/a%00b']) {
    const res = await sendRawRequest(base, 'GET', target);
    assert.equal(res.status, 400, target);
    assert.equal((JSON.parse(res.body) as { error: string }).error, 'invalid_request', target);
  }
});

/** A 1 MiB upstream that answers 413 as soon as a body is over 4 KiB and stops reading, like the cart service. */
async function startStingyUpstream(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    if (Number(req.headers['content-length'] ?? 0) > 4096) {
      res.writeHead(413, { 'content-type': 'application/json', connection: 'close' });
      res.end(JSON.stringify({ error: 'payload_too_large', error_description: 'upstream limit' }));
      return;
    }
    req.resume();
    req.on('end', () => res.end('{}'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

test('body limit: over 64 KiB is the gateway’s own 413 payload_too_large, declared or streamed; smaller bodies get the service’s answer', async () => {
  const stingy = await startStingyUpstream();
  const gw = await buildGateway({ authUrl: stingy.url, cartUrl: stingy.url, customerUrl: stingy.url, recommendationUrl: stingy.url });
  await gw.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(gw.server.address() as AddressInfo).port}`;
  try {
    const huge = 'x'.repeat(2 * 1024 * 1024);
    const declared = await fetch(`${url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: huge });
    assert.equal(declared.status, 413);
    assert.deepEqual(await declared.json(), { error: 'payload_too_large', error_description: 'request body larger than 65536 bytes' });

    // Chunked (no Content-Length): the streaming cap trips mid-proxy.
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 40; i++) controller.enqueue(new Uint8Array(16 * 1024).fill(120));
        controller.close();
      },
    });
    const streamed = await fetch(`${url}/api/cart/items`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: chunks, duplex: 'half' } as RequestInit);
    assert.equal(streamed.status, 413);
    assert.equal(((await streamed.json()) as { error: string }).error, 'payload_too_large');

    // Between the service's limit and the gateway's: the service's own 413 comes back.
    const middling = await fetch(`${url}/api/cart/items`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'y'.repeat(60 * 1024) });
    assert.equal(middling.status, 413);
    assert.deepEqual(await middling.json(), { error: 'payload_too_large', error_description: 'upstream limit' });

    const small = await fetch(`${url}/api/cart/items`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(small.status, 200);
  } finally {
    await gw.close();
    await new Promise((r) => stingy.server.close(r));
  }
});

test('hop-by-hop headers of the service are not passed on: a client’s Connection: close is honoured', async () => {
  const { sendRawRequest } = await import('@latchkey/testkit');
  const res = await sendRawRequest(base, 'GET', '/api/cart');
  assert.equal(res.status, 200);
  assert.equal(res.headers['keep-alive'], undefined);
  assert.equal(res.headers['connection'], 'close');
});
