import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AppContext } from '../context.js';
import {
  InvalidClientError,
  InvalidGrantError,
  InvalidRefreshTokenError,
  InvalidRequestError,
  InvalidScopeError,
  InvalidTargetError,
  RefreshTokenReusedError,
  UnsupportedGrantTypeError,
} from '../errors.js';
import { authenticateClient, type ClientAuth } from '../oauth/client-auth.js';
import { formOf, type FormParams } from '../oauth/form-body.js';
import { parseScope } from '../oauth/scopes.js';
import { refreshSession } from '../auth/refresh-session.js';
import { clientIp } from '../auth/throttle.js';
import { sendBearerTokens } from '../auth/sessions.js';
import { issueAccessToken } from '../tokens/access-token.js';

/**
 * `POST /oauth/token` (RFC 6749 §4.4, §6), form-encoded:
 * - `grant_type=client_credentials` — a registered client authenticated with `client_secret_basic` or
 *   `client_secret_post`; optional `scope` (subset of the client's scopes, default all of them) and
 *   `resource` (RFC 8707: one of the client's audiences, default its first). → 200
 *   `{access_token, token_type: "Bearer", expires_in, scope}`; no refresh token. The token has
 *   `sub` = `client_id` = the client id, its `scope` and `aud`, and no `sid` or `csrf`.
 * - `grant_type=refresh_token` — a token-mode (`latchkey-native`) refresh token; rotates it with the same
 *   rules as `POST /auth/refresh` (a reused one revokes the session). → 200 token-mode body.
 * Errors per RFC 6749 §5.2: `invalid_request`, `invalid_client` (401, `WWW-Authenticate: Basic`),
 * `invalid_grant`, `invalid_scope`, `unsupported_grant_type`, plus RFC 8707 `invalid_target`.
 */
export function oauthTokenRoute(app: FastifyInstance, ctx: AppContext): void {
  app.post('/oauth/token', async (request, reply) => {
    const form = formOf(request);
    const grantType = form.single('grant_type', 64);
    if (grantType === undefined) throw new InvalidRequestError('grant_type is required.');
    const client = await authenticateClient(ctx, request, form);
    switch (grantType) {
      case 'client_credentials':
        return clientCredentials(ctx, reply, form, client);
      case 'refresh_token':
        return refreshGrant(ctx, reply, form, client, clientIp(request));
      default:
        throw new UnsupportedGrantTypeError();
    }
  });
}

async function clientCredentials(ctx: AppContext, reply: FastifyReply, form: FormParams, auth: ClientAuth): Promise<FastifyReply> {
  if (auth.kind !== 'confidential') throw new InvalidClientError('client_credentials needs client authentication (client_secret_basic or client_secret_post).');
  const { client } = auth;

  const requested = form.single('scope', 2048);
  let scopes: readonly string[] = client.scopes;
  if (requested !== undefined) {
    const parsed = parseScope(requested);
    if (parsed === null) throw new InvalidScopeError('The scope parameter is malformed (RFC 6749 §3.3).');
    const extra = parsed.filter((s) => !client.scopes.includes(s));
    if (extra.length > 0) throw new InvalidScopeError('The requested scope exceeds the scopes allowed for this client.');
    scopes = parsed;
  }
  if (scopes.length === 0) throw new InvalidScopeError('This client has no scopes to grant.');

  const resources = form.all('resource');
  if (resources.length > 1) throw new InvalidTargetError('Request one resource (audience) per token.');
  const audience = resources[0] ?? client.audiences[0];
  if (audience === undefined || resources[0]?.length === 0 || !client.audiences.includes(audience)) throw new InvalidTargetError();

  const scope = scopes.join(' ');
  const access = await issueAccessToken(ctx.keys, ctx.config, { subject: client.id, clientId: client.id, scope, audience }, ctx.now());
  return reply.send({ access_token: access.token, token_type: 'Bearer', expires_in: ctx.config.accessTokenTtlSeconds, scope });
}

async function refreshGrant(ctx: AppContext, reply: FastifyReply, form: FormParams, auth: ClientAuth, ip: string): Promise<FastifyReply> {
  // Refresh tokens belong to first-party token-mode sessions; a registered client never holds one (RFC 6749 §6).
  if (auth.kind === 'confidential') throw new InvalidGrantError('The refresh token was not issued to this client.');
  const token = form.single('refresh_token', 128);
  if (token === undefined) throw new InvalidRequestError('refresh_token is required.');
  const requested = form.single('scope', 2048);
  let scope: string | undefined;
  if (requested !== undefined) {
    const parsed = parseScope(requested);
    const granted = ctx.config.userScope.split(' ');
    if (parsed === null) throw new InvalidScopeError('The scope parameter is malformed (RFC 6749 §3.3).');
    if (!parsed.every((s) => granted.includes(s))) throw new InvalidScopeError('The requested scope exceeds the scope of the session.');
    scope = parsed.join(' ');
  }
  try {
    const minted = await refreshSession(ctx, { token, mode: 'token', clientIp: ip, ...(scope === undefined ? {} : { scope }) });
    return sendBearerTokens(reply, ctx, minted);
  } catch (err) {
    if (err instanceof RefreshTokenReusedError) throw new InvalidGrantError('This refresh token was already used; the session has been revoked.');
    if (err instanceof InvalidRefreshTokenError) throw new InvalidGrantError('The refresh token is invalid, expired or revoked.');
    throw err;
  }
}
