import type { AddressInfo } from 'node:net';
import express, { type RequestHandler } from 'express';
import { adapterAttackTarget, runAdapterSuite, runAttackSuite, type MakeAdapterApp } from '@latchkey/testkit';
import { latchkey } from '../src/index.js';

const makeApp: MakeAdapterApp = async ({ verifierOptions }) => {
  const app = express();
  let calls = 0;
  const handler: RequestHandler = (req, res) => {
    calls += 1;
    res.json({ sub: req.auth?.subject });
  };
  const auth = latchkey(verifierOptions);
  app.get('/protected', auth, handler);
  app.post('/protected', auth, handler);
  app.get('/scoped', latchkey(verifierOptions, { scopes: ['cart:read'] }), handler);
  app.get('/user', latchkey(verifierOptions, { requireUser: true }), handler);
  const server = await new Promise<import('node:http').Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    handlerCalls: () => calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

runAdapterSuite('express', makeApp);
runAttackSuite('express adapter', adapterAttackTarget(makeApp), { configurable: true });
