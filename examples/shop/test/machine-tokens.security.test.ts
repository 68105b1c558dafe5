/**
 * Rule: user-facing shop routes act for a signed-in user. A client-credentials (machine) token has the
 * client id in `sub` and no `sid`; it must not be read as a user id (cart, profile, orders,
 * recommendations all answer 403 user_session_required), while the service-to-service route still
 * takes it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { serve, type ServerType } from '@hono/node-server';
import { createTestIssuer, sendRequest, startJwksServer, type JwksServer, type TestIssuer } from '@latchkey/testkit';
import type { FastifyInstance } from 'fastify';
import type { Server } from 'node:http';
import { buildCartService } from '../src/services/cart.js';
import { buildCustomerService } from '../src/services/customer.js';
import { buildRecommendationService } from '../src/services/recommendation.js';

let issuer: TestIssuer;
let jwks: JwksServer;
let dataDir: string;
let cart: FastifyInstance;
let customer: { server: Server; close(): void };
let reco: ServerType;
const urls = { cart: '', customer: '', reco: '' };

before(async () => {
  issuer = await createTestIssuer({ issuer: 'http://localhost:8080', audience: 'shop-api' });
  jwks = await startJwksServer(issuer.jwks);
  dataDir = mkdtempSync(join(tmpdir(), 'latchkey-shop-machine-'));
  const auth = { issuer: issuer.issuer, audience: issuer.audience, jwksUri: jwks.url };
  cart = await buildCartService({ auth, dataDir });
  await cart.listen({ port: 0, host: '127.0.0.1' });
  urls.cart = `http://127.0.0.1:${(cart.server.address() as AddressInfo).port}`;
  const c = buildCustomerService({ auth, dataDir });
  const server = c.app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  customer = { server, close: c.close };
  urls.customer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const app = buildRecommendationService({
    auth,
    cartUrl: urls.cart,
    serviceToken: { get: async () => machine(), invalidate: () => {} },
  });
  reco = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  urls.reco = `http://127.0.0.1:${(reco.address() as AddressInfo).port}`;
});

after(async () => {
  await cart.close();
  customer.server.closeAllConnections();
  await new Promise<void>((resolve) => customer.server.close(() => resolve()));
  customer.close();
  await new Promise<void>((resolve) => reco.close(() => resolve()));
  await jwks.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** What POST /oauth/token mints for client credentials: sub = client id, no sid, no csrf. */
function machine(scope = 'cart:read cart:write profile orders'): Promise<string> {
  return issuer.mint({ sub: 'recommendation', client_id: 'recommendation', scope, sid: undefined, csrf: undefined });
}

test('machine tokens are refused on every user route (403 user_session_required) and change nothing', async () => {
  const token = await machine();
  const json = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
  const attempts: Array<[string, string, string | undefined]> = [
    [`${urls.cart}/api/cart`, 'GET', undefined],
    [`${urls.cart}/api/cart/items`, 'POST', JSON.stringify({ productId: 'sencha', quantity: 3 })],
    [`${urls.cart}/api/cart/items/sencha`, 'PUT', JSON.stringify({ quantity: 5 })],
    [`${urls.cart}/api/cart/items/sencha`, 'DELETE', undefined],
    [`${urls.customer}/api/customer/profile`, 'GET', undefined],
    [`${urls.customer}/api/customer/profile`, 'PUT', JSON.stringify({ name: 'Mallory' })],
    [`${urls.customer}/api/customer/orders`, 'GET', undefined],
    [`${urls.customer}/api/customer/orders`, 'POST', JSON.stringify({ items: [{ productId: 'sencha', quantity: 1 }] })],
    [`${urls.reco}/api/recommendations`, 'GET', undefined],
  ];
  for (const [url, method, body] of attempts) {
    const res = await sendRequest(url, { method, headers: body === undefined ? { authorization: json.authorization } : json, ...(body === undefined ? {} : { body }) });
    assert.equal(res.status, 403, `${method} ${url}: ${res.text}`);
    assert.equal((res.json as { error: string }).error, 'user_session_required', `${method} ${url}`);
  }
  // The client id was never used as a user: its "cart" is empty (read with the service route).
  const internal = await sendRequest(`${urls.cart}/internal/carts/recommendation`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(internal.status, 200, internal.text);
  assert.deepEqual((internal.json as { items: unknown[] }).items, []);
});

test('a user token (with sid) still works on the same routes', async () => {
  const user = await issuer.mint({ sub: 'user-77', sid: 'session-77', csrf: undefined });
  const res = await sendRequest(`${urls.cart}/api/cart/items`, {
    method: 'POST',
    headers: { authorization: `Bearer ${user}`, 'content-type': 'application/json' },
    body: JSON.stringify({ productId: 'sencha', quantity: 1 }),
  });
  assert.equal(res.status, 200, res.text);
  for (const url of [`${urls.customer}/api/customer/profile`, `${urls.reco}/api/recommendations`]) {
    const r = await sendRequest(url, { headers: { authorization: `Bearer ${user}` } });
    assert.equal(r.status, 200, `${url}: ${r.text}`);
  }
});
