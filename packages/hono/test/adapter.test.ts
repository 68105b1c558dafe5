import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { adapterAttackTarget, runAdapterSuite, runAttackSuite, type MakeAdapterApp } from '@latchkey/testkit';
import { latchkey, type LatchkeyEnv } from '../src/index.js';

const makeApp: MakeAdapterApp = async ({ verifierOptions }) => {
  const app = new Hono<LatchkeyEnv>();
  let calls = 0;
  const handler = (c: Context<LatchkeyEnv>) => {
    calls += 1;
    return c.json({ sub: c.var.auth.subject });
  };
  const auth = latchkey(verifierOptions);
  app.get('/protected', auth, handler);
  app.post('/protected', auth, handler);
  app.get('/scoped', latchkey(verifierOptions, { scopes: ['cart:read'] }), handler);
  app.get('/user', latchkey(verifierOptions, { requireUser: true }), handler);
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    handlerCalls: () => calls,
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
};

runAdapterSuite('hono', makeApp);
runAttackSuite('hono adapter', adapterAttackTarget(makeApp), { configurable: true });
