import Fastify, { type FastifyInstance } from 'fastify';
import type { ServerConfig } from './config/defaults.js';
import type { AppContext } from './context.js';
import type { Store } from './store/types.js';
import { openStore } from './store/open-store.js';
import { startSweeper } from './store/sweeper.js';
import { KeyManager, type RotationPolicy } from './keys/key-manager.js';
import { protectorFor, type KeyProtector } from './keys/protector.js';
import { argon2idHasher, dummyHashFor, type PasswordHasher } from './auth/passwords.js';
import { defaultHashLimits, limitHashing, type HashLimits } from './auth/hash-limiter.js';
import { installErrorHandling, sendError, toLatchkeyError } from './http/error-handler.js';
import { clientErrorHandler } from './http/client-error.js';
import { installJsonOnly } from './http/json-body.js';
import { installCors } from './http/cors.js';
import { signupRoutes } from './routes/signup.js';
import { loginRoutes } from './routes/login.js';
import { refreshRoutes } from './routes/refresh.js';
import { logoutRoutes } from './routes/logout.js';
import { meRoutes } from './routes/me.js';
import { wellKnownRoutes } from './routes/well-known.js';
import { healthRoutes } from './routes/health.js';
import { revocationRoutes } from './routes/revocations.js';
import { sessionRoutes } from './routes/sessions.js';
import { RevocationHub, type RevocationBroadcaster } from './revocation/hub.js';
import { openRedisRevocationPublisher } from './revocation/redis-transport.js';
import { oauthRoutes } from './routes/oauth.js';
import { installMetrics } from './http/metrics.js';

export interface AppDeps {
  /**
   * Defaults to the configured store — PostgreSQL (`databaseUrl`) or SQLite in `config.dataDir`, plus
   * Redis (`redisUrl`) — opened here and closed with the app. A passed store is the caller's to close.
   */
  readonly store?: Store;
  /** Clock, epoch ms. Default `Date.now`. */
  readonly now?: () => number;
  readonly passwords?: PasswordHasher;
  /** Concurrent password hashes and queue bound. Default `defaultHashLimits()` (cores − 1, 64 per slot). */
  readonly hashLimits?: HashLimits;
  readonly keyProtector?: KeyProtector;
  /** Log level for Fastify's logger (stdout, JSON lines); default off. The CLI uses `'error'`. */
  readonly logLevel?: 'error' | 'warn' | 'info' | 'debug';
  /** Extra places revocations are pushed to as they happen (e.g. Redis pub/sub); the store's log always is. */
  readonly revocationPublishers?: readonly RevocationBroadcaster[];
  /** How often open revocation streams re-read the log for entries written by other processes, ms. Default 1000. */
  readonly revocationPollMs?: number;
  /** How often the key schedule is checked (rotation steps, keys changed by the CLI), ms. Default 60000; 0 = only at start. */
  readonly keyCheckIntervalMs?: number;
}

/**
 * Builds the authorization server without listening: tests call `app.inject`, the CLI calls `listen`.
 *
 * @example
 * const app = await buildApp(loadConfig(process.env));
 * await app.listen({ port: 4000, host: '127.0.0.1' });
 */
export async function buildApp(config: ServerConfig, deps: AppDeps = {}): Promise<FastifyInstance> {
  const now = deps.now ?? Date.now;
  const ownStore = deps.store === undefined;
  const store = deps.store ?? (await openStore(config));
  let keys: KeyManager;
  try {
    keys = await KeyManager.open(store.keys, config.signingAlgorithm, now(), deps.keyProtector ?? protectorFor(config.keyEncryptionKey), rotationPolicy(config));
  } catch (err) {
    if (ownStore) await store.close();
    throw err;
  }
  // At most cores − 1 hashes at once, bounded queue (server_busy past it): the event loop keeps a core.
  const passwords = limitHashing(deps.passwords ?? argon2idHasher, deps.hashLimits ?? defaultHashLimits());
  // Scaled out (redisUrl set): revocations are also pushed to Redis pub/sub, where services can follow
  // them without reaching an auth server; the store's log and the SSE feed carry them either way.
  let publishers = deps.revocationPublishers;
  if (publishers === undefined && config.redisUrl !== null) {
    try {
      publishers = [await openRedisRevocationPublisher({ url: config.redisUrl, keyPrefix: config.redisKeyPrefix, connectTimeoutMs: config.storeConnectTimeoutMs })];
    } catch (err) {
      if (ownStore) await store.close();
      throw err;
    }
  }
  let onHubError: (err: unknown) => void = () => {};
  const revocations = new RevocationHub(store.revocations, {
    pollMs: deps.revocationPollMs ?? 1000,
    ...(publishers === undefined ? {} : { publishers }),
    onError: (err) => onHubError(err),
  });
  const ctx: AppContext = { config, store, keys, passwords, dummyHash: dummyHashFor(passwords), now, revocations };

  const app = Fastify({
    logger: deps.logLevel === undefined ? false : { level: deps.logLevel },
    bodyLimit: config.bodyLimit,
    // A list only (never `true`): X-Forwarded-For is believed from these peers alone.
    trustProxy: config.trustProxy.length > 0 ? [...config.trustProxy] : false,
    return503OnClosing: true,
    // Fastify's defaults would silently strip unknown fields and coerce types; we reject both.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false } },
    // Errors raised before routing (bad URL, over-long parameter) get the same JSON shape…
    frameworkErrors: (err, _request, reply) => {
      sendError(reply, toLatchkeyError(err));
    },
    // …and so do requests Node's HTTP parser refuses before Fastify sees them.
    clientErrorHandler,
  });

  installErrorHandling(app);
  installJsonOnly(app);
  installCors(app, config);
  installMetrics(app, ctx);
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    // The auth server serves JSON only: nothing may run, load or frame it, and no URL leaks onward.
    reply.header('content-security-policy', "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'no-referrer');
    // Token-bearing and per-user responses must never be cached (RFC 6749 §5.1).
    if (reply.getHeader('cache-control') === undefined) reply.header('cache-control', 'no-store');
    return payload;
  });

  signupRoutes(app, ctx);
  loginRoutes(app, ctx);
  refreshRoutes(app, ctx);
  logoutRoutes(app, ctx);
  meRoutes(app, ctx);
  wellKnownRoutes(app, ctx);
  healthRoutes(app, ctx);
  oauthRoutes(app, ctx);
  revocationRoutes(app, ctx);
  sessionRoutes(app, ctx);

  onHubError = (err) => app.log.warn({ err }, 'revocation broadcast failed (the store log still has it)');
  app.addHook('onClose', async () => revocations.close());
  const keyCheckMs = deps.keyCheckIntervalMs ?? config.keyCheckIntervalSeconds * 1000;
  if (keyCheckMs > 0) {
    const keyTimer = setInterval(() => {
      keys.tick(now()).catch((err: unknown) => app.log.error({ err }, 'signing-key rotation step failed'));
    }, keyCheckMs);
    keyTimer.unref();
    app.addHook('onClose', async () => clearInterval(keyTimer));
  }

  const sweeper = startSweeper(store, now, (err) => app.log.warn({ err }, 'expired-session sweep failed'));
  app.addHook('onClose', async () => sweeper.stop());
  if (ownStore) app.addHook('onClose', async () => store.close());
  // Warm the dummy hash so the first unknown-email login is not faster than later ones.
  void ctx.dummyHash().catch(() => {});
  return app;
}

/** Clock skew verifiers tolerate on `exp` (the SDK's default): retired keys stay published this much longer. */
const VERIFIER_SKEW_MS = 30_000;

/** The key schedule derived from the configuration. */
export function rotationPolicy(config: ServerConfig): RotationPolicy {
  return {
    intervalMs: config.keyRotationIntervalSeconds * 1000,
    publishLeadMs: config.keyPublishLeadSeconds * 1000,
    retireAfterMs: config.accessTokenTtlSeconds * 1000 + VERIFIER_SKEW_MS,
  };
}
