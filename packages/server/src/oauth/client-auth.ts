import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import type { RegisteredClient } from '../store/types.js';
import { InvalidClientError, InvalidRequestError } from '../errors.js';
import { NATIVE_CLIENT_ID } from '../tokens/access-token.js';
import { DUMMY_SECRET_HASH, verifyClientSecret } from './client-secret.js';
import type { FormParams } from './form-body.js';
import { clearFailures, clientIp, throttled, type ThrottleKey } from '../auth/throttle.js';

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post';

/**
 * Who is calling an OAuth endpoint:
 * - `none`: no client identification at all;
 * - `public`: a first-party public client (`latchkey-native`) naming itself with `client_id` and no secret;
 * - `confidential`: a registered client that proved its secret.
 */
export type ClientAuth =
  | { readonly kind: 'none' }
  | { readonly kind: 'public'; readonly clientId: string }
  | { readonly kind: 'confidential'; readonly client: RegisteredClient; readonly method: ClientAuthMethod };

/** First-party clients that have no secret and may name themselves (RFC 6749 §2.1 public clients). */
export const PUBLIC_CLIENT_IDS: ReadonlySet<string> = new Set([NATIVE_CLIENT_ID]);

const MAX_ID = 64;
const MAX_SECRET = 256;

/**
 * Reads and checks client credentials (RFC 6749 §2.3.1): HTTP Basic with form-encoded id and secret,
 * or `client_id` + `client_secret` in the body — never both methods at once. Any failure is the same
 * `invalid_client` (unknown id, wrong secret, disabled), after the same work.
 */
export async function authenticateClient(ctx: AppContext, request: FastifyRequest, form: FormParams): Promise<ClientAuth> {
  const bodyId = form.single('client_id', MAX_ID);
  const bodySecret = form.single('client_secret', MAX_SECRET);
  const header = request.headers.authorization;

  let id: string;
  let secret: string;
  let method: ClientAuthMethod;
  if (header !== undefined) {
    const basic = parseBasic(header);
    if (basic === null) throw new InvalidClientError('The Authorization header must be "Basic <base64(client_id:client_secret)>".');
    if (bodySecret !== undefined) throw new InvalidRequestError('Use one client authentication method per request (RFC 6749 §2.3).');
    if (bodyId !== undefined && bodyId !== basic.id) throw new InvalidRequestError('client_id in the body does not match the Authorization header.');
    ({ id, secret } = basic);
    method = 'client_secret_basic';
  } else if (bodySecret !== undefined) {
    if (bodyId === undefined) throw new InvalidClientError('client_secret was sent without client_id.');
    id = bodyId;
    secret = bodySecret;
    method = 'client_secret_post';
  } else if (bodyId !== undefined) {
    if (PUBLIC_CLIENT_IDS.has(bodyId)) return { kind: 'public', clientId: bodyId };
    // A confidential client naming itself without proving it.
    throw new InvalidClientError('Client authentication is required for this client.');
  } else {
    return { kind: 'none' };
  }

  // Failed secrets count per client id and per address; once either is over its limit, 429 before any
  // comparison (a 256-bit secret is not guessable, but a leaked-and-rotated one should not be tried freely).
  const idKey: ThrottleKey = ['clientId', id.slice(0, MAX_ID)];
  const keys: ThrottleKey[] = [idKey, ['clientIp', clientIp(request)]];
  const client = await throttled(ctx, keys, (err) => err instanceof InvalidClientError, async () => {
    const found = id.length <= MAX_ID && secret.length <= MAX_SECRET ? await ctx.store.clients.get(id) : null;
    // Always compare, even for an unknown id, so timing does not tell which ids exist.
    const secretOk = verifyClientSecret(secret, found?.secretHash ?? DUMMY_SECRET_HASH);
    if (found === null || !secretOk || found.disabled) throw new InvalidClientError();
    return found;
  });
  await clearFailures(ctx, idKey);
  return { kind: 'confidential', client, method };
}

/** `Basic base64(urlencode(id):urlencode(secret))`; null when malformed. */
function parseBasic(header: string): { id: string; secret: string } | null {
  const m = /^Basic ([A-Za-z0-9+/]{1,1024}={0,2})$/i.exec(header);
  if (m === null || m[1] === undefined) return null;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return null;
  try {
    const id = formDecode(decoded.slice(0, colon));
    const secret = formDecode(decoded.slice(colon + 1));
    return id === '' || secret === '' ? null : { id, secret };
  } catch {
    return null;
  }
}

/** RFC 6749 §2.3.1 / Appendix B: id and secret are form-encoded before Basic encoding. */
function formDecode(value: string): string {
  return decodeURIComponent(value.replaceAll('+', ' '));
}
