import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { getCookie } from 'hono/cookie';
import { createServer, type Server } from 'node:http';
import { getRequestListener, RequestError } from '@hono/node-server';
import { latchkey, type LatchkeyEnv } from '@latchkey/hono';
import { createVerifier } from '@latchkey/verify';
import type { CartView } from '../cart-view.js';
import { recommend } from '../recommend.js';
import { errorBody, invalidRequest, notFound, toShopError } from '../errors.js';
import { installClientErrorHandler } from '../http-errors.js';
import { isMain, portFromEnv, requireEnv, runMain } from '../runtime.js';
import { authOptionsFromEnv, type ServiceAuthOptions } from './config.js';

export interface RecommendationServiceOptions {
  auth: ServiceAuthOptions;
  /** Origin of the cart service. */
  cartUrl: string;
  /** Injectable for tests. */
  fetch?: typeof fetch;
  /** How many recommendations. Default 4. */
  limit?: number;
}

const ACCESS_COOKIE = '__Host-lk_at';

/**
 * The recommendation service (Hono + `@latchkey/hono`). It reads the caller's cart from the cart
 * service by relaying the caller's own, already verified access token as `Authorization: Bearer`
 * (the cart service verifies it again; Bearer needs no CSRF header). A later step replaces the relay
 * with a client-credentials service token.
 */
export function buildRecommendationService(options: RecommendationServiceOptions): Hono<LatchkeyEnv> {
  const doFetch = options.fetch ?? fetch;
  const cartUrl = new URL('/api/cart', options.cartUrl).href;
  const app = new Hono<LatchkeyEnv>();

  app.get('/healthz', (c) => c.json({ status: 'ok' }));

  // One verifier (one JWKS cache) for every protected route.
  const requireAuth = latchkey({ verifier: createVerifier(options.auth) });
  app.use('/api/recommendations', requireAuth);
  app.use('/api/recommendations/*', requireAuth);

  app.get('/api/recommendations', async (c) => {
    // The middleware verified this exact token (Bearer wins over the cookie, as in the verifier).
    const header = c.req.header('authorization');
    const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : getCookie(c, ACCESS_COOKIE);
    if (!token) return c.json({ error: 'invalid_request', error_description: 'no token to relay' }, 400);

    let cart: CartView;
    try {
      const res = await doFetch(cartUrl, {
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
        signal: AbortSignal.timeout(3000),
      });
      if (!res.ok) {
        await res.body?.cancel();
        return c.json({ error: 'upstream_unavailable', error_description: `cart service answered ${res.status}` }, 502);
      }
      cart = (await res.json()) as CartView;
    } catch {
      return c.json({ error: 'upstream_unavailable', error_description: 'cart service unreachable' }, 502);
    }

    const lines = cart.items.map((i) => ({ productId: i.productId, quantity: i.quantity }));
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

/** Standalone: PORT, HOST, CART_URL, LATCHKEY_ISSUER, LATCHKEY_AUDIENCE, LATCHKEY_JWKS_URI, LATCHKEY_TRUSTED_ORIGINS. */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<{ server: Server; close(): Promise<void> }> {
  const app = buildRecommendationService({ auth: authOptionsFromEnv(env), cartUrl: requireEnv('CART_URL', env) });
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
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

if (isMain(import.meta.url)) runMain('recommendation', () => main());
