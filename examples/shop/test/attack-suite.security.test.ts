/**
 * Every shop service under the shared attack suite over real HTTP, each verifying tokens itself with
 * the suite's key set: cart (Fastify), customer (Express), recommendation (Hono). Bearer attacks go to
 * a state-changing route; after the run, protected state must hold exactly what the accepted control
 * requests put there.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { runAttackSuite, sendRequest, type AttackContext, type AttackOutcome, type AttackTarget } from '@latchkey/testkit';
import { buildCartService } from '../src/services/cart.js';
import { buildCustomerService } from '../src/services/customer.js';
import { buildRecommendationService } from '../src/services/recommendation.js';
import type { ServiceAuthOptions } from '../src/services/config.js';

const ORIGIN = 'http://localhost:8080';

function authOptions({ verifierOptions }: AttackContext): ServiceAuthOptions {
  return { issuer: verifierOptions.issuer, audience: verifierOptions.audience, jwksUri: verifierOptions.jwksUri, trustedOrigins: [ORIGIN] };
}

function outcome(res: { status: number; json: unknown }): AttackOutcome {
  const code = (res.json as { error?: unknown } | undefined)?.error;
  return { status: res.status, code: typeof code === 'string' ? code : undefined, handlerRan: res.status >= 200 && res.status < 300 };
}

function tempDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-shop-attack-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

runAttackSuite('shop cart service (Fastify) over HTTP', async (ctx) => {
  const data = tempDir();
  const app = await buildCartService({ auth: authOptions(ctx), dataDir: data.dir });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  let acceptedPosts = 0;
  let lastValidToken = '';
  const target: AttackTarget = {
    async send(r) {
      const res = r.method === 'POST'
        ? await sendRequest(`${url}/api/cart/items`, { method: 'POST', headers: { ...r.headers, 'content-type': 'application/json' }, body: JSON.stringify({ productId: 'sencha', quantity: 1 }) })
        : await sendRequest(`${url}/api/cart`, { headers: { ...r.headers } });
      const out = outcome(res);
      if (r.method === 'POST' && out.handlerRan) {
        acceptedPosts += 1;
        lastValidToken = r.token;
      }
      return out;
    },
    async assertStateUnchanged() {
      const res = await sendRequest(`${url}/api/cart`, { headers: { authorization: `Bearer ${lastValidToken}` } });
      const items = (res.json as { items: Array<{ productId: string; quantity: number }> }).items;
      assert.deepEqual(items.map((i) => [i.productId, i.quantity]), [['sencha', acceptedPosts]], 'only accepted requests changed the cart');
    },
    async close() {
      await app.close();
      data.remove();
    },
  };
  return target;
});

runAttackSuite('shop customer service (Express) over HTTP', async (ctx) => {
  const data = tempDir();
  const service = buildCustomerService({ auth: authOptions(ctx), dataDir: data.dir });
  const server = service.app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let acceptedPosts = 0;
  let lastValidToken = '';
  return {
    async send(r) {
      const res = r.method === 'POST'
        ? await sendRequest(`${url}/api/customer/orders`, { method: 'POST', headers: { ...r.headers, 'content-type': 'application/json' }, body: JSON.stringify({ items: [{ productId: 'sencha', quantity: 1 }] }) })
        : await sendRequest(`${url}/api/customer/profile`, { headers: { ...r.headers } });
      const out = outcome(res);
      if (r.method === 'POST' && out.handlerRan) {
        acceptedPosts += 1;
        lastValidToken = r.token;
      }
      return out;
    },
    async assertStateUnchanged() {
      const res = await sendRequest(`${url}/api/customer/orders`, { headers: { authorization: `Bearer ${lastValidToken}` } });
      assert.equal((res.json as { orders: unknown[] }).orders.length, acceptedPosts, 'only accepted requests placed orders');
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      service.close();
      data.remove();
    },
  };
});

runAttackSuite('shop recommendation service (Hono) over HTTP', async (ctx) => {
  let cartReads = 0;
  const app = buildRecommendationService({
    auth: authOptions(ctx),
    cartUrl: 'http://127.0.0.1:9',
    serviceToken: { get: async () => 'service-token', invalidate: () => {} },
    fetch: async () => {
      cartReads += 1;
      return new Response(JSON.stringify({ items: [], total: 0 }), { headers: { 'content-type': 'application/json' } });
    },
  });
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let accepted = 0;
  return {
    async send(r) {
      // Only GET exists here: the Bearer attacks use GET too.
      const out = outcome(await sendRequest(`${url}/api/recommendations`, { headers: { ...r.headers } }));
      if (out.handlerRan) accepted += 1;
      return out;
    },
    async assertStateUnchanged() {
      assert.equal(cartReads, accepted, 'the cart was read only for accepted requests');
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
});
