import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';

/** `GET /.well-known/jwks.json` and `GET /.well-known/oauth-authorization-server` (RFC 8414). */
export function wellKnownRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/.well-known/jwks.json', async (request, reply) => {
    // Public caching: rotation publishes the next key `keyPublishLeadSeconds` (> max-age) before it
    // signs, and verifiers refetch on an unknown kid anyway. Strong ETag → cheap revalidation.
    const { body, etag } = ctx.keys.jwksDocument();
    reply.header('cache-control', `public, max-age=${ctx.config.jwksMaxAgeSeconds}`).header('etag', etag);
    const inm = request.headers['if-none-match'];
    if (typeof inm === 'string' && inm.split(',').some((t) => t.trim() === etag || t.trim() === '*')) {
      return reply.code(304).send();
    }
    return reply.type('application/jwk-set+json').send(body);
  });

  app.get('/.well-known/oauth-authorization-server', async (_request, reply) => {
    const { issuer } = ctx.config;
    // Only what this server really supports today: no OAuth grant endpoints yet.
    return reply.header('cache-control', `public, max-age=${ctx.config.jwksMaxAgeSeconds}`).send({
      issuer,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      response_types_supported: [],
      grant_types_supported: [],
      scopes_supported: ctx.config.userScope.split(' '),
    });
  });
}
