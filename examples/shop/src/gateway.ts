import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';
import replyFrom from '@fastify/reply-from';
import { PRODUCTS } from './catalog.js';
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
  logger?: boolean;
}

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
  const app = Fastify({ logger: options.logger ?? false, trustProxy: false });

  app.addHook('onSend', async (request, reply, payload) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
    if (request.url.startsWith('/api/') || request.url.startsWith('/auth/')) {
      if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    }
    return payload;
  });

  app.setNotFoundHandler((_request, reply) => {
    void reply.code(404).send({ error: 'not_found', error_description: 'no such route' });
  });
  app.setErrorHandler((err: { statusCode?: number }, _request, reply) => {
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    const code = status === 503 || status === 502 || status === 504 ? 'upstream_unavailable' : status >= 500 ? 'internal_error' : 'bad_request';
    void reply.code(status).send({ error: code, error_description: status >= 500 ? 'the gateway could not complete the request' : 'bad request' });
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
  app.get('/api/products', async () => ({ products: PRODUCTS }));
  // The revocation feed is for the services, which reach the auth server directly; browsers never need it.
  const notFound = async (_request: FastifyRequest, reply: FastifyReply) =>
    reply.code(404).send({ error: 'not_found', error_description: 'no such route' });
  app.all('/auth/revocations', notFound);
  app.all('/auth/revocations/*', notFound);

  await app.register(async (proxy) => {
    // Pass every body through as a stream: the gateway must not parse, re-encode or reject bodies on
    // the services' behalf (a form-encoded cross-site POST must reach the service and be refused there).
    proxy.removeAllContentTypeParsers();
    proxy.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    await proxy.register(replyFrom, { disableRequestLogging: true });

    const forward = (base: string) => (request: FastifyRequest, reply: FastifyReply) =>
      reply.from(base + request.raw.url, {
        rewriteRequestHeaders: (req, headers) => ({
          ...headers,
          'x-forwarded-host': req.headers.host ?? '',
          'x-forwarded-proto': 'http',
          'x-forwarded-for': req.ip,
        }),
        onError: (rep) => {
          void rep.code(502).send({ error: 'upstream_unavailable', error_description: 'the service is not reachable' });
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
