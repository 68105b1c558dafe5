import Fastify from 'fastify';
import { runAdapterSuite } from '@latchkey/testkit';
import { latchkeyFastify } from '../src/index.js';

runAdapterSuite('fastify', async ({ verifierOptions }) => {
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
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url, handlerCalls: () => calls, close: () => app.close() };
});
