import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';
import replyFrom from '@fastify/reply-from';
import { PRODUCTS } from './catalog.js';
import { errorBody, invalidRequest, notFound, ShopError, toShopError } from './errors.js';
import { fastifyErrorOptions } from './http-errors.js';
import { capRequestBody, isOverLimit } from './body-limit.js';
import { SECURITY_HEADERS } from './security-headers.js';
import { isMain, portFromEnv, requireEnv, runMain } from './runtime.js';

export interface GatewayOptions {
  /** Base URLs (origin only) of the upstreams. */
  authUrl: string;
  cartUrl: string;
  customerUrl: string;
  recommendationUrl: string;
  /** Folder with index.html, app.js, style.css. Default: the package's `public/`. */
  publicDir?: string;
  /** Folder of the compiled `@latchkey/client`. Default: resolved from the installed package. */
  clientDir?: string;
  /** Largest request body the gateway forwards, in bytes (declared or streamed). Default 64 KiB. */
  bodyLimit?: number;
  logger?: boolean;
}

/** Default {@link GatewayOptions.bodyLimit}: far above any shop request, far below what would tie up a service. */
export const GATEWAY_BODY_LIMIT = 64 * 1024;

const here = dirname(fileURLToPath(import.meta.url));
const DEFAULT_PUBLIC_DIR = join(here, '..', '..', 'public');

function defaultClientDir(): string {
  return dirname(fileURLToPath(import.meta.resolve('@latchkey/client')));
}

/** The module the page imports; it re-exports the client's compiled entry (tsc emits several files). */
const CLIENT_ENTRY = "export * from './latchkey-client/index.js';\n";

function origin(url: string, name: string): string {
  const u = new URL(url);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`${name} must be an http(s) URL`);
  return u.origin;
}

/**
 * Builds the gateway (not listening): the page, the compiled browser helper, the public catalog, and
 * reverse proxies to the auth server and the three services. Bodies are streamed through untouched so
 * each service applies its own content-type, CSRF and origin rules.
 */
export async function buildGateway(options: GatewayOptions): Promise<FastifyInstance> {
  const upstream = {
    auth: origin(options.authUrl, 'authUrl'),
    cart: origin(options.cartUrl, 'cartUrl'),
    customer: origin(options.customerUrl, 'customerUrl'),
    recommendation: origin(options.recommendationUrl, 'recommendationUrl'),
  };
  const bodyLimit = options.bodyLimit ?? GATEWAY_BODY_LIMIT;
  const app = Fastify({ logger: options.logger ?? false, trustProxy: false, ...fastifyErrorOptions });

  // One answer for path tricks, whichever route (static files or a proxy) would have matched.
  app.addHook('onRequest', async (request) => {
    const problem = pathProblem(request.raw.url ?? '/');
    if (problem !== null) throw invalidRequest(problem);
  });

  app.addHook('onSend', async (request, reply, payload) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
    if (request.url.startsWith('/api/') || request.url.startsWith('/auth/')) {
      if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    }
    return payload;
  });

  app.setNotFoundHandler((_request, reply) => {
    void reply.code(404).send(errorBody(notFound()));
  });
  app.setErrorHandler((err, _request, reply) => {
    const shop = toShopError(err);
    if (shop.status >= 500 && shop.code !== 'upstream_unavailable') app.log.error(err);
    void reply.code(shop.status).send(errorBody(shop));
  });

  await app.register(fastifyStatic, { root: options.publicDir ?? DEFAULT_PUBLIC_DIR, prefix: '/', index: 'index.html' });
  await app.register(fastifyStatic, {
    root: options.clientDir ?? defaultClientDir(),
    prefix: '/assets/latchkey-client/',
    decorateReply: false,
    allowedPath: (pathName) => pathName.endsWith('.js'),
  });
  app.get('/assets/latchkey-client.js', async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').send(CLIENT_ENTRY),
  );

  app.get('/healthz', async () => ({ status: 'ok' }));
  // Browsers and tools that ignore <link rel="icon"> still ask for /favicon.ico.
  app.get('/favicon.ico', async (_request, reply) => reply.redirect('/favicon.svg', 301));
  app.get('/api/products', async () => ({ products: PRODUCTS }));
  // The revocation feed is for the services, which reach the auth server directly; browsers never need it.
  const hideFeed = async (_request: FastifyRequest, reply: FastifyReply) => reply.code(404).send(errorBody(notFound()));
  app.all('/auth/revocations', hideFeed);
  app.all('/auth/revocations/*', hideFeed);

  await app.register(async (proxy) => {
    // Pass every body through as a stream: the gateway must not parse, re-encode or reject bodies on
    // the services' behalf (a form-encoded cross-site POST must reach the service and be refused there).
    // Bodies are capped here (declared Content-Length first, then a streaming count), so an oversized
    // upload is the gateway's own 413 instead of a reset connection once a service stops reading.
    proxy.removeAllContentTypeParsers();
    proxy.addContentTypeParser('*', (request, payload, done) => capRequestBody(request.raw, payload, bodyLimit, done));
    await proxy.register(replyFrom, { disableRequestLogging: true });

    // Only the path goes into the upstream URL (reply-from percent-decodes it to refuse `..`); the
    // query string travels raw, so a malformed escape there is the service's to judge, not a 500 here.
    const forward = (base: string) => (request: FastifyRequest, reply: FastifyReply) =>
      reply.from(base + pathOf(request.raw.url ?? '/'), {
        rewriteHeaders: (headers) => withoutHopByHop(headers),
        rewriteRequestHeaders: (req, headers) => ({
          ...headers,
          'x-forwarded-host': req.headers.host ?? '',
          'x-forwarded-proto': 'http',
          'x-forwarded-for': req.ip,
        }),
        onError: (rep) => {
          const err = isOverLimit(request.raw) ? new ShopError('payload_too_large', `request body larger than ${bodyLimit} bytes`) : new ShopError('upstream_unavailable', 'the service is not reachable');
          void rep.code(err.status).send(errorBody(err));
        },
      });

    const routes: [string, string][] = [
      ['/auth', upstream.auth],
      ['/.well-known', upstream.auth],
      ['/oauth', upstream.auth],
      ['/api/cart', upstream.cart],
      ['/api/customer', upstream.customer],
      ['/api/recommendations', upstream.recommendation],
    ];
    for (const [prefix, base] of routes) {
      proxy.all(prefix, forward(base));
      proxy.all(`${prefix}/*`, forward(base));
    }
  });

  return app;
}

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'te', 'trailer', 'upgrade'];

/**
 * An upstream's hop-by-hop headers describe its connection to the gateway, not the gateway's to the
 * client (RFC 9110 §7.6.1): passing `connection: keep-alive` on would override a client's `close`.
 */
function withoutHopByHop<T extends Record<string, unknown>>(headers: T): T {
  const out: Record<string, unknown> = { ...headers };
  const listed = typeof headers['connection'] === 'string' ? headers['connection'].split(',').map((h) => h.trim().toLowerCase()) : [];
  for (const name of [...HOP_BY_HOP, ...listed]) delete out[name];
  return out as T;
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/**
 * Why a request path is refused before routing, or null: a `.`/`..` segment (raw or percent-encoded,
 * `\` counted as a separator as some servers do), a NUL byte, or a malformed escape.
 */
export function pathProblem(url: string): string | null {
  const path = pathOf(url);
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return 'the URL path has a malformed percent-escape';
  }
  if (decoded.includes('\0')) return 'the URL path must not contain NUL';
  if (decoded.split(/[\\/]/).some((segment) => segment === '.' || segment === '..')) return 'the URL path must not contain . or .. segments';
  return null;
}

/** Standalone entry: PORT, HOST, AUTH_URL, CART_URL, CUSTOMER_URL, RECOMMENDATION_URL. */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<FastifyInstance> {
  const app = await buildGateway({
    authUrl: requireEnv('AUTH_URL', env),
    cartUrl: requireEnv('CART_URL', env),
    customerUrl: requireEnv('CUSTOMER_URL', env),
    recommendationUrl: requireEnv('RECOMMENDATION_URL', env),
  });
  await app.listen({ port: portFromEnv('PORT', 8080, env), host: env['HOST'] ?? 'localhost' });
  return app;
}

if (isMain(import.meta.url)) runMain('gateway', () => main());
