import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';

/** `GET /healthz` → 200 {status: "ok"} once keys are loaded and the store answers. */
export function healthRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/healthz', async (_request, reply) => {
    await ctx.store.keys.list();
    return reply.header('cache-control', 'no-store').send({ status: 'ok' });
  });
}
