import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { installFormBody } from '../oauth/form-body.js';
import { oauthTokenRoute } from './oauth-token.js';
import { oauthRevokeRoute } from './oauth-revoke.js';
import { oauthIntrospectRoute } from './oauth-introspect.js';

/**
 * The OAuth 2.0 endpoints (`/oauth/token`, `/oauth/revoke`, `/oauth/introspect`) in their own plugin
 * scope: they take `application/x-www-form-urlencoded` (RFC 6749 §3.2), the rest of the server JSON only.
 *
 * Cross-site requests: a foreign page *can* post a form here without a preflight, but these endpoints
 * never read cookies — every one authenticates only with what is in the request itself (a client secret,
 * a refresh token, the token to revoke) — so a forged request carries nothing the attacker did not
 * already have. That is why the cookie endpoints' Origin/CSRF guard is not applied here.
 */
export function oauthRoutes(app: FastifyInstance, ctx: AppContext): void {
  void app.register(async (scope) => {
    installFormBody(scope);
    scope.addHook('onSend', async (_request, reply, payload) => {
      // RFC 6749 §5.1: token responses are not cached (no-store is set app-wide; Pragma for HTTP/1.0 caches).
      reply.header('pragma', 'no-cache');
      return payload;
    });
    oauthTokenRoute(scope, ctx);
    oauthRevokeRoute(scope, ctx);
    oauthIntrospectRoute(scope, ctx);
  });
}
