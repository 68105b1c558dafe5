import { Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import { serve, type ServerType } from '@hono/node-server';
import { latchkey, type LatchkeyEnv } from '@latchkey/hono';
import { createVerifier, type Verifier } from '@latchkey/verify';
import type { CartView } from '../cart-view.js';
import { recommend } from '../recommend.js';
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
  /** A verifier to use instead of one made from `auth` (the caller closes it). */
  verifier?: Verifier;
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

  // One verifier (one JWKS cache, one revocation feed) for every protected route.
  const verifier = options.verifier ?? createVerifier(options.auth);
  const requireAuth = latchkey({ verifier });
  app.get('/healthz/revocation', (c) => c.json({ revocation: verifier.revocation?.status() ?? null }));
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

  app.notFound((c) => c.json({ error: 'not_found', error_description: 'no such route' }, 404));
  app.onError((_err, c) => c.json({ error: 'internal_error', error_description: 'internal error' }, 500));
  return app;
}

/** Standalone: PORT, HOST, CART_URL, LATCHKEY_ISSUER, LATCHKEY_AUDIENCE, LATCHKEY_JWKS_URI, LATCHKEY_TRUSTED_ORIGINS. */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<{ server: ServerType; close(): Promise<void> }> {
  const auth = authOptionsFromEnv(env);
  const verifier = createVerifier(auth);
  const app = buildRecommendationService({ auth, verifier, cartUrl: requireEnv('CART_URL', env) });
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: portFromEnv('PORT', 0, env), hostname: env['HOST'] ?? '127.0.0.1' }, () => resolve(s));
    s.once('error', reject);
  });
  return {
    server,
    close: () => new Promise<void>((resolve) => server.close(() => void verifier.close().then(resolve, resolve))),
  };
}

if (isMain(import.meta.url)) runMain('recommendation', () => main());
