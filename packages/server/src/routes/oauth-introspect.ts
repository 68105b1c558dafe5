import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { InvalidClientError, InvalidRequestError } from '../errors.js';
import { authenticateClient } from '../oauth/client-auth.js';
import { formOf } from '../oauth/form-body.js';
import { identifyToken, sessionIsLive } from '../oauth/identify-token.js';
import { MAX_TOKEN_LENGTH, type AccessTokenClaims } from '../tokens/access-token.js';

const INACTIVE = Object.freeze({ active: false });

/**
 * `POST /oauth/introspect` (RFC 7662), form `token`, client-authenticated (a registered client).
 * Active only for an access token of this server that verifies, whose session (user tokens) is live
 * and whose client (machine tokens) still exists and is enabled, and that the caller may see: its
 * `aud` is one of the caller's audiences, or the caller is the client it was issued to (RFC 7662 §4
 * asks servers not to answer every client about every token). Anything else — refresh tokens included —
 * answers exactly `{"active": false}`.
 */
export function oauthIntrospectRoute(app: FastifyInstance, ctx: AppContext): void {
  app.post('/oauth/introspect', async (request, reply) => {
    const form = formOf(request);
    const token = form.single('token', MAX_TOKEN_LENGTH);
    form.single('token_type_hint', 64);
    const caller = await authenticateClient(ctx, request, form);
    if (caller.kind !== 'confidential') throw new InvalidClientError('Introspection needs client authentication (client_secret_basic or client_secret_post).');
    if (token === undefined) throw new InvalidRequestError('token is required.');

    const found = await identifyToken(ctx, token);
    if (found === null || found.kind !== 'access') return reply.send(INACTIVE);
    const claims = found.claims;
    const audiences = typeof claims.aud === 'string' ? [claims.aud] : (claims.aud ?? []);
    const visible = claims.client_id === caller.client.id || audiences.some((a) => caller.client.audiences.includes(a));
    if (!visible || !(await isLive(ctx, claims))) return reply.send(INACTIVE);

    // An explicit list: never echo `csrf` or anything else a resource server has no use for.
    return reply.send({
      active: true,
      scope: claims.scope,
      client_id: claims.client_id,
      token_type: 'Bearer',
      sub: claims.sub,
      aud: claims.aud,
      iss: claims.iss,
      exp: claims.exp,
      iat: claims.iat,
      jti: claims.jti,
      ...(typeof claims.sid === 'string' ? { sid: claims.sid } : {}),
    });
  });
}

async function isLive(ctx: AppContext, claims: AccessTokenClaims): Promise<boolean> {
  if (typeof claims.sid === 'string') return sessionIsLive(ctx, await ctx.store.sessions.get(claims.sid), claims.sub);
  const client = await ctx.store.clients.get(claims.client_id);
  return client !== null && !client.disabled;
}
