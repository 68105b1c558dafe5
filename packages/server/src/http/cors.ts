import type { FastifyInstance } from 'fastify';
import type { ServerConfig } from '../config/defaults.js';

/**
 * Minimal credentialed CORS for the configured origins only (never `*`). Preflights from a listed
 * origin are answered here; anything else gets no CORS headers (the browser then blocks it).
 */
export function installCors(app: FastifyInstance, config: ServerConfig): void {
  if (config.corsOrigins.length === 0) return;
  const allowed = new Set(config.corsOrigins);
  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin;
    reply.header('vary', 'Origin');
    if (typeof origin !== 'string' || !allowed.has(origin)) return;
    reply.header('access-control-allow-origin', origin);
    reply.header('access-control-allow-credentials', 'true');
    reply.header('access-control-expose-headers', 'X-CSRF-Token');
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) {
      reply.header('access-control-allow-methods', 'GET, POST, DELETE');
      reply.header('access-control-allow-headers', 'Content-Type, Authorization, X-CSRF-Token');
      reply.header('access-control-max-age', '600');
      return reply.code(204).send();
    }
  });
}
