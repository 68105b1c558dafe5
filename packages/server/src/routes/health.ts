import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';

/** `GET /healthz` → 200 {status: "ok"} once keys are loaded and every backing service answers; else 503 `store_unavailable`. */
export function healthRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/healthz', async (_request, reply) => {
    await ctx.store.ping();
    return reply.header('cache-control', 'no-store').send({ status: 'ok' });
  });
}
