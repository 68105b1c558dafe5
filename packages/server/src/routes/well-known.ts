import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';

/** `GET /.well-known/jwks.json` and `GET /.well-known/oauth-authorization-server` (RFC 8414). */
export function wellKnownRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/.well-known/jwks.json', async (_request, reply) => {
    // Short public caching: verifiers refetch on an unknown kid anyway, and rotation publishes
    // the next key well before it signs.
    return reply.header('cache-control', 'public, max-age=300').type('application/jwk-set+json').send(ctx.keys.jwks());
  });

  app.get('/.well-known/oauth-authorization-server', async (_request, reply) => {
    const { issuer } = ctx.config;
    // Only what this server really supports today: no OAuth grant endpoints yet.
    return reply.header('cache-control', 'public, max-age=300').send({
      issuer,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      response_types_supported: [],
      grant_types_supported: [],
      scopes_supported: ctx.config.userScope.split(' '),
    });
  });
}
