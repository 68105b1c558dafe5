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
    const clientAuth = ['client_secret_basic', 'client_secret_post'];
    // Only what this server really does: no authorization endpoint (so no response types), two grants.
    return reply.header('cache-control', `public, max-age=${ctx.config.jwksMaxAgeSeconds}`).send({
      issuer,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      token_endpoint: `${issuer}/oauth/token`,
      revocation_endpoint: `${issuer}/oauth/revoke`,
      introspection_endpoint: `${issuer}/oauth/introspect`,
      response_types_supported: [],
      grant_types_supported: ['client_credentials', 'refresh_token'],
      token_endpoint_auth_methods_supported: clientAuth,
      // The first-party native app is a public client: it revokes its own refresh token without a secret.
      revocation_endpoint_auth_methods_supported: [...clientAuth, 'none'],
      introspection_endpoint_auth_methods_supported: clientAuth,
      scopes_supported: ctx.config.userScope.split(' '),
      // Latchkey extension (RFC 8414 §2 allows additional members): the `alg` of every key in the JWKS,
      // i.e. what a verifier's allow-list must contain. Access tokens are RFC 9068 JWTs (`typ: at+jwt`).
      access_token_signing_alg_values_supported: [...new Set(ctx.keys.jwks().keys.map((k) => k.alg))],
    });
  });
}
