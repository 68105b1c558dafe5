import { createServer, type Server } from 'node:http';
import express, { type ErrorRequestHandler, type Express, type Request } from 'express';
import { latchkey } from '@latchkey/express';
import { createVerifier, type Principal } from '@latchkey/verify';
import { errorBody, invalidRequest, notFound, ShopError, toShopError } from '../errors.js';
import { installClientErrorHandler } from '../http-errors.js';
import { isMain, portFromEnv, runMain } from '../runtime.js';
import { CustomerStore, type Profile } from '../store/customer-store.js';
import { onlyKeys, parseOrderItems } from '../validate.js';
import { authOptionsFromEnv, dataDirFromEnv, type ServiceAuthOptions } from './config.js';

export interface CustomerServiceOptions {
  auth: ServiceAuthOptions;
  dataDir: string;
}

const MAX_NAME = 100;

function principal(req: Request): Principal {
  return (req as Request & { auth: Principal }).auth;
}

/** The profile as the page sees it: stored fields plus what the token says about the caller. */
function profileView(profile: Profile, who: Principal) {
  const email = typeof who.claims['email'] === 'string' ? who.claims['email'] : null;
  return { ...profile, email, sessionId: who.sessionId ?? null, scopes: who.scopes };
}

/** Unsafe methods must send JSON: a cross-site form (urlencoded, multipart, text/plain) is refused. */
const requireJson: express.RequestHandler = (req, _res, next) => {
  if (!req.is('application/json')) return next(new ShopError('unsupported_media_type', 'send the body as application/json'));
  next();
};

/**
 * The customer service (Express + `@latchkey/express`): profile and order history. Authentication
 * runs first, before any body is read.
 */
export function buildCustomerService(options: CustomerServiceOptions): { app: Express; close(): Promise<void> } {
  const store = new CustomerStore(options.dataDir);
  const verifier = createVerifier(options.auth);
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/healthz/revocation', (_req, res) => void res.json({ revocation: verifier.revocation?.status() ?? null }));

  const api = express.Router();
  // Only user sessions: a machine token's `sub` is a client id, not a customer.
  api.use(latchkey({ verifier }, { requireUser: true }));
  api.use(express.json({ limit: '16kb', type: 'application/json', strict: true }));

  api.get('/profile', (req, res) => {
    const who = principal(req);
    res.json({ profile: profileView(store.profile(who.subject), who) });
  });

  api.put('/profile', requireJson, (req, res) => {
    const who = principal(req);
    const body = onlyKeys(req.body, ['name']);
    const raw = body['name'];
    if (raw !== undefined && raw !== null && typeof raw !== 'string') throw invalidRequest('name must be a string');
    const name = typeof raw === 'string' ? raw.trim() : '';
    if (name.length > MAX_NAME) throw invalidRequest(`name must be at most ${MAX_NAME} characters`);
    if (/[\u0000-\u001f\u007f]/.test(name)) throw invalidRequest('name must not contain control characters');
    res.json({ profile: profileView(store.setName(who.subject, name === '' ? null : name), who) });
  });

  api.get('/orders', (req, res) => {
    res.json({ orders: store.orders(principal(req).subject) });
  });

  api.post('/orders', requireJson, (req, res) => {
    const who = principal(req);
    const body = onlyKeys(req.body, ['items']);
    // Prices come from the catalog, never from the page.
    const lines = parseOrderItems(body['items']).map(({ product, quantity }) => ({
      productId: product.id,
      name: product.name,
      quantity,
      price: product.price,
    }));
    res.status(201).json({ order: store.placeOrder(who.subject, lines) });
  });

  app.use('/api/customer', api);

  app.use((_req, res) => void res.status(404).json(errorBody(notFound())));
  const onError: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
    const shop = toShopError(err);
    if (shop.status >= 500) console.error('customer: unexpected error', err instanceof Error ? err.message : err);
    res.status(shop.status).json(errorBody(shop));
  };
  app.use(onError);

  return {
    app,
    close: async () => {
      await verifier.close();
      store.close();
    },
  };
}

/** Standalone: PORT, HOST, LATCHKEY_ISSUER, LATCHKEY_AUDIENCE, LATCHKEY_JWKS_URI, LATCHKEY_TRUSTED_ORIGINS, LATCHKEY_DATA_DIR. */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<{ server: Server; close(): Promise<void> }> {
  const service = buildCustomerService({ auth: authOptionsFromEnv(env), dataDir: dataDirFromEnv(env) });
  const server = createServer(service.app);
  installClientErrorHandler(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(portFromEnv('PORT', 0, env), env['HOST'] ?? '127.0.0.1', resolve);
  });
  return {
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          void service.close().then(resolve, resolve);
        });
        server.closeAllConnections();
      }),
  };
}

if (isMain(import.meta.url)) runMain('customer', () => main());
