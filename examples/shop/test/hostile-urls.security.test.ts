import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import * as verify from '@latchkey/verify';
import { SERVER_ERROR_CODES } from '@latchkey/server';
import { createTestIssuer, runHostileUrlSuite, startJwksServer, type HostileUrlApp } from '@latchkey/testkit';
import { SHOP_ERROR_CODES } from '../src/errors.js';
import { buildCartService } from '../src/services/cart.js';
import { main as startCustomer } from '../src/services/customer.js';
import { main as startRecommendation } from '../src/services/recommendation.js';
import { startTestShop } from './helpers.js';

const ORIGIN = 'http://localhost:8080';

/** Codes `@latchkey/verify` sends (the services' 401/403/503 come from it). */
const VERIFY_CODES: Record<string, number> = {};
for (const value of Object.values(verify)) {
  if (typeof value === 'function' && value.prototype instanceof verify.LatchkeyError) {
    const ctor = value as unknown as { code: string; status: number };
    VERIFY_CODES[ctor.code] = ctor.status;
  }
}

function union(...catalogues: Readonly<Record<string, number>>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const catalogue of catalogues) {
    for (const [code, status] of Object.entries(catalogue)) {
      assert.ok(out[code] === undefined || out[code] === status, `${code} means ${out[code]} in one catalogue and ${status} in another`);
      out[code] = status;
    }
  }
  return out;
}

test('the shop, auth server and verify catalogues agree on every shared code', () => {
  union(SHOP_ERROR_CODES, SERVER_ERROR_CODES, VERIFY_CODES);
});

/** The three services on free ports against a test issuer, with a valid Bearer token so hostile input gets past authentication. */
async function startServices() {
  const issuer = await createTestIssuer({ issuer: ORIGIN, audience: 'shop-api' });
  const jwks = await startJwksServer(issuer.jwks);
  const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-shop-hostile-'));
  const env = { PORT: '0', HOST: '127.0.0.1', LATCHKEY_ISSUER: ORIGIN, LATCHKEY_JWKS_URI: jwks.url, LATCHKEY_TRUSTED_ORIGINS: ORIGIN, LATCHKEY_DATA_DIR: dataDir };
  const cart = await buildCartService({ auth: { issuer: ORIGIN, audience: 'shop-api', jwksUri: jwks.url }, dataDir });
  await cart.listen({ port: 0, host: '127.0.0.1' });
  const cartUrl = `http://127.0.0.1:${(cart.server.address() as AddressInfo).port}`;
  // A stand-in token endpoint handing the recommendation service a cart:read machine token.
  const tokenServer = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      void issuer.mint({ sub: 'recommendation', client_id: 'recommendation', scope: 'cart:read', sid: undefined, csrf: undefined }).then((access_token) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ access_token, token_type: 'Bearer', expires_in: 600, scope: 'cart:read' }));
      });
    });
  });
  await new Promise<void>((r) => tokenServer.listen(0, '127.0.0.1', r));
  const customer = await startCustomer(env);
  const recommendation = await startRecommendation({
    ...env,
    CART_URL: cartUrl,
    LATCHKEY_TOKEN_URL: `http://127.0.0.1:${(tokenServer.address() as AddressInfo).port}/oauth/token`,
    LATCHKEY_CLIENT_ID: 'recommendation',
    LATCHKEY_CLIENT_SECRET: 'x'.repeat(43),
  });
  const token = await issuer.mint({ sub: 'hostile-user' });
  return {
    cartUrl,
    customerUrl: `http://127.0.0.1:${(customer.server.address() as AddressInfo).port}`,
    recommendationUrl: `http://127.0.0.1:${(recommendation.server.address() as AddressInfo).port}`,
    headers: { authorization: `Bearer ${token}` },
    async close() {
      await cart.close();
      await customer.close();
      await recommendation.close();
      tokenServer.closeAllConnections();
      await new Promise((r) => tokenServer.close(r));
      await jwks.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const SERVICE_CODES = union(SHOP_ERROR_CODES, VERIFY_CODES);
const SERVICES: { name: string; pick: (s: Awaited<ReturnType<typeof startServices>>) => string; routes: string[] }[] = [
  { name: 'cart (Fastify)', pick: (s) => s.cartUrl, routes: ['/api/cart', '/api/cart/items/', '/healthz'] },
  { name: 'customer (Express)', pick: (s) => s.customerUrl, routes: ['/api/customer/profile', '/api/customer/orders', '/healthz'] },
  { name: 'recommendation (Hono)', pick: (s) => s.recommendationUrl, routes: ['/api/recommendations', '/healthz'] },
];

for (const service of SERVICES) {
  for (const authenticated of [false, true]) {
    runHostileUrlSuite(
      `${service.name}${authenticated ? ', authenticated' : ''}`,
      async (): Promise<HostileUrlApp> => {
        const s = await startServices();
        return { url: service.pick(s), ...(authenticated ? { headers: s.headers } : {}), close: () => s.close() };
      },
      { routes: service.routes, codes: SERVICE_CODES },
    );
  }
}

// The gateway in front of the real auth server and services: whatever it proxies, the answer is in
// one of the three catalogues with the status that code means.
runHostileUrlSuite(
  'gateway (whole shop)',
  async () => {
    const t = await startTestShop();
    return { url: t.shop.urls.gateway.replace('localhost', '127.0.0.1'), close: () => t.close() };
  },
  {
    routes: ['/', '/app.js', '/api/products', '/assets/latchkey-client/', '/auth/me', '/auth/login', '/.well-known/jwks.json', '/api/cart', '/api/cart/items/', '/api/customer/profile', '/api/recommendations'],
    codes: union(SHOP_ERROR_CODES, SERVER_ERROR_CODES, VERIFY_CODES),
  },
);
