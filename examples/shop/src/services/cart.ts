import Fastify, { type FastifyInstance, type FastifyRequest, type onRequestAsyncHookHandler } from 'fastify';
import { latchkeyFastify } from '@latchkey/fastify';
import { createVerifier, type Principal } from '@latchkey/verify';
import { cartView } from '../cart-view.js';
import { errorBody, notFound, ShopError, toShopError } from '../errors.js';
import { fastifyErrorOptions } from '../http-errors.js';
import { isMain, portFromEnv, runMain } from '../runtime.js';
import { CartStore } from '../store/cart-store.js';
import { MAX_QUANTITY, PRODUCT_ID_PATTERN, parseProductId } from '../validate.js';
import { authOptionsFromEnv, dataDirFromEnv, type ServiceAuthOptions } from './config.js';
import { CART_READ_SCOPE } from '../launcher-constants.js';

export interface CartServiceOptions {
  auth: ServiceAuthOptions;
  dataDir: string;
  logger?: boolean;
}

/** User ids as the auth server issues them (UUIDs), with room for other issuers' subjects. */
const USER_ID_PATTERN = '^[A-Za-z0-9._:@-]{1,128}$';

const productParams = {
  type: 'object',
  properties: { productId: { type: 'string', pattern: PRODUCT_ID_PATTERN } },
  required: ['productId'],
} as const;

/**
 * How the cart routes authenticate: an `onRequest` hook, and the subject of an authenticated request.
 * The service uses Latchkey; `npm run bench` swaps in "no authentication" and `@fastify/jwt` to
 * measure the same routes side by side.
 */
export interface CartAuth {
  readonly requireAuth: onRequestAsyncHookHandler;
  readonly subject: (request: FastifyRequest) => string;
  /** Hooks guarding the service-to-service endpoint; without them the endpoint is not registered. */
  readonly serviceReader?: readonly onRequestAsyncHookHandler[];
}

/**
 * The cart service (Fastify + `@latchkey/fastify`): every `/api/cart*` request is authenticated before
 * its body is even parsed; unsafe methods need the CSRF header for cookie credentials (the adapter's
 * job). Only `application/json` bodies are accepted, so a cross-site HTML form cannot post here.
 */
export async function buildCartService(options: CartServiceOptions): Promise<FastifyInstance> {
  return buildCartApp(options, async (app) => {
    // One verifier per service: it owns the JWKS cache and the revocation feed, closed with the app.
    const verifier = createVerifier(options.auth);
    app.addHook('onClose', async () => verifier.close());
    app.get('/healthz/revocation', async () => ({ revocation: verifier.revocation?.status() ?? null }));
    await app.register(latchkeyFastify, { verifier });
    // Service-to-service (not routed by the gateway): another service reads a user's cart with its own
    // client-credentials token. Needs scope `cart:read`, and refuses user tokens even if they carried that
    // scope: a user may read only their own cart, through /api/cart.
    const serviceOnly: onRequestAsyncHookHandler = async (request, reply) => {
      const who = request.auth as Principal;
      if (who.sessionId !== undefined || who.credential !== 'bearer') {
        return reply.code(403).send(errorBody(new ShopError('service_token_required', 'this endpoint takes a service (client-credentials) token')));
      }
    };
    return {
      // User routes act for "the current user": a machine (client-credentials) token carries a client id
      // in `sub` and no `sid`, and must not be taken for a user (403 user_session_required).
      requireAuth: app.requireAuth({ requireUser: true }),
      subject: (request) => (request.auth as Principal).subject,
      serviceReader: [app.requireAuth({ scopes: [CART_READ_SCOPE] }), serviceOnly],
    };
  });
}

/** The cart service's app and routes with the authentication `installAuth` registers. */
export async function buildCartApp(
  options: Omit<CartServiceOptions, 'auth'>,
  installAuth: (app: FastifyInstance) => Promise<CartAuth>,
): Promise<FastifyInstance> {
  const store = new CartStore(options.dataDir);
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: 4096,
    ...fastifyErrorOptions,
    // Fastify's Ajv defaults coerce "1" to 1 and silently drop unknown fields; an API that handles
    // money should refuse both.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
  });
  app.addHook('onClose', async () => store.close());

  // Fastify parses text/plain by default; a JSON API must not (text/plain is a "simple" CORS type).
  app.removeContentTypeParser('text/plain');

  app.setErrorHandler((err, _request, reply) => {
    const shop = toShopError(err);
    if (shop.status >= 500) app.log.error(err);
    void reply.code(shop.status).send(errorBody(shop));
  });
  app.setNotFoundHandler((_request, reply) => {
    void reply.code(404).send(errorBody(notFound()));
  });

  app.get('/healthz', async () => ({ status: 'ok' }));

  const auth = await installAuth(app);
  const { requireAuth, subject } = auth;

  const { serviceReader } = auth;
  if (serviceReader !== undefined) {
    app.get<{ Params: { userId: string } }>(
      '/internal/carts/:userId',
      {
        onRequest: [...serviceReader],
        schema: { params: { type: 'object', properties: { userId: { type: 'string', pattern: USER_ID_PATTERN } }, required: ['userId'] } },
      },
      async (request) => cartView(store.list(request.params.userId)),
    );
  }

  // onRequest: authentication runs before body parsing and validation, so an unauthenticated caller
  // learns nothing about the body rules.
  app.get('/api/cart', { onRequest: requireAuth }, async (request) => cartView(store.list(subject(request))));

  app.post<{ Body: { productId: string; quantity: number } }>(
    '/api/cart/items',
    {
      onRequest: requireAuth,
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['productId', 'quantity'],
          properties: {
            productId: { type: 'string', pattern: PRODUCT_ID_PATTERN },
            quantity: { type: 'integer', minimum: 1, maximum: MAX_QUANTITY },
          },
        },
      },
    },
    async (request) => {
      const product = parseProductId(request.body.productId);
      store.add(subject(request), product.id, request.body.quantity);
      return cartView(store.list(subject(request)));
    },
  );

  app.put<{ Params: { productId: string }; Body: { quantity: number } }>(
    '/api/cart/items/:productId',
    {
      onRequest: requireAuth,
      schema: {
        params: productParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['quantity'],
          properties: { quantity: { type: 'integer', minimum: 1, maximum: MAX_QUANTITY } },
        },
      },
    },
    async (request) => {
      const product = parseProductId(request.params.productId);
      store.set(subject(request), product.id, request.body.quantity);
      return cartView(store.list(subject(request)));
    },
  );

  app.delete<{ Params: { productId: string } }>(
    '/api/cart/items/:productId',
    { onRequest: requireAuth, schema: { params: productParams } },
    async (request) => {
      const product = parseProductId(request.params.productId);
      store.remove(subject(request), product.id);
      return cartView(store.list(subject(request)));
    },
  );

  return app;
}

/** Standalone: PORT, HOST, LATCHKEY_ISSUER, LATCHKEY_AUDIENCE, LATCHKEY_JWKS_URI, LATCHKEY_TRUSTED_ORIGINS, LATCHKEY_DATA_DIR. */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<FastifyInstance> {
  const app = await buildCartService({ auth: authOptionsFromEnv(env), dataDir: dataDirFromEnv(env) });
  await app.listen({ port: portFromEnv('PORT', 0, env), host: env['HOST'] ?? '127.0.0.1' });
  return app;
}

if (isMain(import.meta.url)) runMain('cart', () => main());
