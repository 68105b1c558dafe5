import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { userJson } from '../context.js';
import { InvalidTokenError } from '../errors.js';
import { authenticate } from '../auth/read-access-token.js';

/** `GET /auth/me` (cookie or Bearer) → 200 {user, session_id}. */
export function meRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/auth/me', async (request, reply) => {
    const { claims } = await authenticate(ctx, request);
    const user = await ctx.store.users.findById(claims.sub);
    if (user === null || user.disabled) throw new InvalidTokenError('The account is no longer active.');
    return reply.send({ user: userJson(user), session_id: claims.sid ?? null });
  });
}
