import Fastify from 'fastify';
import { adapterAttackTarget, runAdapterSuite, runAttackSuite, type MakeAdapterApp } from '@latchkey/testkit';
import { latchkeyFastify } from '../src/index.js';

const makeApp: MakeAdapterApp = async ({ verifierOptions }) => {
  const app = Fastify();
  let calls = 0;
  await app.register(latchkeyFastify, verifierOptions);
  const reply = async (request: { auth: { subject: string } | null }) => {
    calls += 1;
    return { sub: request.auth?.subject };
  };
  app.get('/protected', { preHandler: app.requireAuth() }, reply);
  app.post('/protected', { preHandler: app.requireAuth() }, reply);
  app.get('/scoped', { preHandler: app.requireAuth({ scopes: ['cart:read'] }) }, reply);
  app.get('/user', { preHandler: app.requireAuth({ requireUser: true }) }, reply);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url, handlerCalls: () => calls, close: () => app.close() };
};

runAdapterSuite('fastify', makeApp);
runAttackSuite('fastify adapter', adapterAttackTarget(makeApp), { configurable: true });
