/**
 * `@latchkey/fastify`: a Fastify plugin that verifies Latchkey access tokens.
 * @packageDocumentation
 */
import type { FastifyPluginAsync, preHandlerAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { assertScopes, assertUserSession, errorResponse, resolveVerifier, type Principal, type VerifierInput } from '@latchkey/verify';

/** Options of {@link FastifyInstance.requireAuth}. */
export interface RequireAuthOptions {
  /** Scopes the route requires (all of them). */
  readonly scopes?: readonly string[];
  /** Only user-session tokens (with `sid`): machine tokens get `403 user_session_required`. */
  readonly requireUser?: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified principal, set by a `requireAuth()` preHandler; `null` on unprotected routes. */
    auth: Principal | null;
  }
  interface FastifyInstance {
    /** A preHandler that authenticates the request (and checks `scopes`) or answers the error. */
    requireAuth(options?: RequireAuthOptions): preHandlerAsyncHookHandler;
  }
}

const plugin: FastifyPluginAsync<VerifierInput> = async (app, options) => {
  const verifier = resolveVerifier(options);
  app.decorateRequest('auth', null);
  app.decorate('requireAuth', (routeOptions: RequireAuthOptions = {}): preHandlerAsyncHookHandler => {
    const scopes = [...(routeOptions.scopes ?? [])];
    const requireUser = routeOptions.requireUser === true;
    return async (request, reply) => {
      let principal: Principal;
      try {
        principal = await verifier.authenticate({ method: request.method, headers: request.headers });
        assertScopes(principal, scopes);
        if (requireUser) assertUserSession(principal);
      } catch (err) {
        const { status, headers, body } = errorResponse(err);
        return reply.code(status).headers(headers).send(body);
      }
      request.auth = principal;
    };
  });
};

/**
 * The plugin. Register it with verifier options, or `{ verifier }` to share one JWKS cache.
 *
 * @example
 * ```ts
 * await app.register(latchkeyFastify, { issuer, audience: 'shop-api', jwksUri });
 * app.get('/api/cart', { preHandler: app.requireAuth({ scopes: ['cart:read'] }) },
 *   async (request) => ({ user: request.auth?.subject }));
 * ```
 */
export const latchkeyFastify = fp(plugin, { fastify: '5.x', name: '@latchkey/fastify' });
export default latchkeyFastify;
