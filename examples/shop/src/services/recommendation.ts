import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { createServer, type Server } from 'node:http';
import { getRequestListener, RequestError } from '@hono/node-server';
import { latchkey, type LatchkeyEnv } from '@latchkey/hono';
import { createVerifier, type Verifier } from '@latchkey/verify';
import type { CartView } from '../cart-view.js';
import { recommend } from '../recommend.js';
import { errorBody, invalidRequest, notFound, toShopError } from '../errors.js';
import { installClientErrorHandler } from '../http-errors.js';
import { isMain, portFromEnv, requireEnv, runMain } from '../runtime.js';
import { clientCredentialsTokenSource, ServiceTokenError, type ServiceTokenSource } from '../service-token.js';
import { authOptionsFromEnv, type ServiceAuthOptions } from './config.js';
import { CART_READ_SCOPE } from '../launcher-constants.js';

export interface RecommendationServiceOptions {
  auth: ServiceAuthOptions;
  /** Origin of the cart service. */
  cartUrl: string;
  /** This service's own credentials towards the cart service (client credentials, scope `cart:read`). */
  serviceToken: ServiceTokenSource;
  /** Injectable for tests. */
  fetch?: typeof fetch;
  /** How many recommendations. Default 4. */
  limit?: number;
  /** A verifier to use instead of one made from `auth` (the caller closes it). */
  verifier?: Verifier;
}

type CartAnswer = { ok: true; cart: CartView } | { ok: false; status: number };

/**
 * The recommendation service (Hono + `@latchkey/hono`). It verifies the caller (cookie or Bearer), then
 * reads that user's cart from the cart service's internal endpoint with *its own* client-credentials
 * token (`Authorization: Bearer`, scope `cart:read`, cached until shortly before expiry) — the user's
 * token never leaves this service. A 401 from the cart (e.g. the signing key rotated) drops the cached
 * token and retries once with a fresh one.
 */
export function buildRecommendationService(options: RecommendationServiceOptions): Hono<LatchkeyEnv> {
  const doFetch = options.fetch ?? fetch;
  const app = new Hono<LatchkeyEnv>();

  app.get('/healthz', (c) => c.json({ status: 'ok' }));

  // One verifier (one JWKS cache, one revocation feed) for every protected route.
  const verifier = options.verifier ?? createVerifier(options.auth);
  // Only user sessions: a machine token's `sub` is a client id, whose "cart" must not be read.
  const requireAuth = latchkey({ verifier }, { requireUser: true });
  app.get('/healthz/revocation', (c) => c.json({ revocation: verifier.revocation?.status() ?? null }));
  app.use('/api/recommendations', requireAuth);
  app.use('/api/recommendations/*', requireAuth);

  async function readCart(userId: string, token: string): Promise<CartAnswer> {
    const res = await doFetch(new URL(`/internal/carts/${encodeURIComponent(userId)}`, options.cartUrl), {
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      signal: AbortSignal.timeout(3000),
    });
    if (!res.ok) {
      await res.body?.cancel();
      return { ok: false, status: res.status };
    }
    return { ok: true, cart: (await res.json()) as CartView };
  }

  app.get('/api/recommendations', async (c) => {
    const userId = c.var.auth.subject;
    let answer: CartAnswer;
    try {
      let token = await options.serviceToken.get();
      answer = await readCart(userId, token);
      if (!answer.ok && answer.status === 401) {
        options.serviceToken.invalidate(token);
        token = await options.serviceToken.get();
        answer = await readCart(userId, token);
      }
    } catch (err) {
      const why = err instanceof ServiceTokenError ? err.message : 'cart service unreachable';
      return c.json({ error: 'upstream_unavailable', error_description: why }, 502);
    }
    if (!answer.ok) return c.json({ error: 'upstream_unavailable', error_description: `cart service answered ${answer.status}` }, 502);

    const lines = answer.cart.items.map((i) => ({ productId: i.productId, quantity: i.quantity }));
    const recommendations = recommend(lines, { limit: options.limit ?? 4 });
    return c.json({
      recommendations: recommendations.map((r) => ({ product: r.product, reason: r.reason })),
      basedOn: lines.map((l) => l.productId),
    });
  });

  app.notFound((c) => c.json(errorBody(notFound()), 404));
  app.onError((err, c) => {
    // Hono's own HTTPExceptions carry a status; anything else is a 500 that reveals nothing.
    const shop = toShopError(err);
    if (shop.status >= 500) console.error('recommendation: unexpected error', err instanceof Error ? err.message : err);
    return c.json(errorBody(shop), shop.status as ContentfulStatusCode);
  });
  return app;
}

/**
 * Turns what `@hono/node-server` throws before the app runs (a request line or Host header it cannot
 * build a URL from: `*`, a backslash in the path, an absolute URL) into the wire error shape; its
 * default is an empty 400.
 */
function requestErrorResponse(err: unknown): Response {
  const shop = err instanceof RequestError ? invalidRequest('the request URL or Host header is malformed') : toShopError(err);
  return new Response(JSON.stringify(errorBody(shop)), {
    status: shop.status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  });
}

/**
 * Standalone: PORT, HOST, CART_URL, LATCHKEY_ISSUER, LATCHKEY_AUDIENCE, LATCHKEY_JWKS_URI,
 * LATCHKEY_TRUSTED_ORIGINS, and its client credentials: LATCHKEY_TOKEN_URL, LATCHKEY_CLIENT_ID,
 * LATCHKEY_CLIENT_SECRET (environment, not argv: other users can read a process's argv).
 */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<{ server: Server; close(): Promise<void> }> {
  const auth = authOptionsFromEnv(env);
  const serviceToken = clientCredentialsTokenSource({
    tokenUrl: requireEnv('LATCHKEY_TOKEN_URL', env),
    clientId: requireEnv('LATCHKEY_CLIENT_ID', env),
    clientSecret: requireEnv('LATCHKEY_CLIENT_SECRET', env),
    scope: CART_READ_SCOPE,
    resource: auth.audience,
  });
  const verifier = createVerifier(auth);
  const app = buildRecommendationService({ auth, verifier, cartUrl: requireEnv('CART_URL', env), serviceToken });
  const hostname = env['HOST'] ?? '127.0.0.1';
  // `serve()` would not let us answer the adapter's own request errors, so build the listener here.
  const server = createServer(getRequestListener(app.fetch, { hostname, errorHandler: requestErrorResponse }));
  installClientErrorHandler(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(portFromEnv('PORT', 0, env), hostname, resolve);
  });
  return {
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => void verifier.close().then(resolve, resolve));
        server.closeAllConnections();
      }),
  };
}

if (isMain(import.meta.url)) runMain('recommendation', () => main());
