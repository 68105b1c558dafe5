import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { InvalidRequestError } from '../errors.js';
import { authenticateClient } from '../oauth/client-auth.js';
import { formOf } from '../oauth/form-body.js';
import { identifyToken } from '../oauth/identify-token.js';
import { MAX_TOKEN_LENGTH } from '../tokens/access-token.js';
import { revokeSession } from '../auth/revoke.js';

/**
 * `POST /oauth/revoke` (RFC 7009), form `token` (+ optional `token_type_hint`, used by nobody: the token's
 * shape says what it is). Client authentication is optional — the first-party native app is a public
 * client — but credentials that are sent must be right (401 `invalid_client`).
 * - a refresh token (current secret) or an access token with `sid`: the session is revoked
 *   (`revoke_reason = oauth_revoke`), ending every token of that session;
 * - a machine access token (no `sid`): accepted with 200; it is self-contained and simply expires;
 * - an unknown, expired or malformed token: 200 (RFC 7009 §2.2).
 * A token issued to another client than the authenticated one is refused (`400 invalid_request`, §2.1).
 */
export function oauthRevokeRoute(app: FastifyInstance, ctx: AppContext): void {
  app.post('/oauth/revoke', async (request, reply) => {
    const form = formOf(request);
    const token = form.single('token', MAX_TOKEN_LENGTH);
    if (token === undefined) throw new InvalidRequestError('token is required.');
    form.single('token_type_hint', 64); // may be sent once; its value changes nothing here
    const caller = await authenticateClient(ctx, request, form);

    const found = await identifyToken(ctx, token);
    if (found === null) return reply.code(200).send();
    const owner = found.kind === 'refresh' ? found.session.clientId : found.claims.client_id;
    const callerId = caller.kind === 'confidential' ? caller.client.id : caller.kind === 'public' ? caller.clientId : null;
    if (callerId !== null && callerId !== owner) throw new InvalidRequestError('The token was not issued to this client.');

    const sessionId = found.kind === 'refresh' ? found.session.id : found.claims.sid;
    // Published on the revocation feed too, so services refuse the session's access tokens at once.
    if (typeof sessionId === 'string') await revokeSession(ctx, sessionId, 'oauth_revoke');
    return reply.code(200).send();
  });
}
