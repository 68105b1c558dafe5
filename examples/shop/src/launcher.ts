import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { isMain, portFromEnv } from './runtime.js';

import { CART_READ_SCOPE, RECOMMENDATION_CLIENT_ID, SHOP_AUDIENCE } from './launcher-constants.js';

export { SHOP_AUDIENCE };

export interface StartShopOptions {
  /** Gateway port. Default `PORT` or 8080; `0` picks a free one. */
  port?: number;
  /** Data folder (auth server database + the services' databases). Default `LATCHKEY_DATA_DIR` or `./.latchkey`. */
  dataDir?: string;
  /** Where status lines and the children's output go. Default `console.log`. */
  log?: (line: string) => void;
  /**
   * Own the process (default true, what `latchkey dev` wants): Ctrl-C / SIGTERM / SIGHUP stops every
   * child and exits 0 (so does a child stopping cleanly on its own signal); a child crashing stops the
   * others and exits 1. Tests pass `false` and use `stop()` / `exited`.
   */
  handleSignals?: boolean;
  /** Path of the auth server's CLI (default: `cli.js` next to `@latchkey/server`'s entry). */
  authServerCli?: string;
  /** How long each process may take to answer its health check. Default 30 s. */
  startTimeoutMs?: number;
}

export interface ShopUrls {
  gateway: string;
  auth: string;
  cart: string;
  customer: string;
  recommendation: string;
}

export interface RunningShop {
  /** The page (gateway origin), e.g. `http://localhost:8080`. */
  url: string;
  urls: ShopUrls;
  dataDir: string;
  /** Stops every child (SIGTERM, then SIGKILL after 5 s); idempotent. */
  stop(): Promise<void>;
  /** Settles when a child exits without being asked to. */
  exited: Promise<{ name: string; code: number | null; signal: NodeJS.Signals | null }>;
}

const here = dirname(fileURLToPath(import.meta.url));

/** A port nobody listens on right now (the OS picks it). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

function defaultAuthServerCli(): string {
  return join(dirname(fileURLToPath(import.meta.resolve('@latchkey/server'))), 'cli.js');
}

interface Child {
  name: string;
  proc: ChildProcess;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function spawnChild(name: string, args: string[], env: NodeJS.ProcessEnv, log: (line: string) => void): Child {
  // Each child gets its own process group (`detached`), so a terminal's Ctrl-C reaches only the
  // launcher, which then stops the children in order and exits 0 — instead of the children dying on
  // their own first and the launcher reporting "stopped unexpectedly". The IPC channel is the other
  // half: every child (the auth server's `serve` included) exits on 'disconnect', i.e. as soon as the
  // launcher is gone, however it died (SIGKILL, a crash, the terminal closing).
  const proc = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], detached: true });
  for (const stream of [proc.stdout, proc.stderr]) {
    if (stream) createInterface({ input: stream }).on('line', (line) => log(`[${name}] ${line}`));
  }
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
    proc.once('exit', (code, signal) => done({ code, signal }));
    proc.once('error', () => done({ code: 1, signal: null }));
  });
  return { name, proc, exit };
}

function runCli(cli: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [cli, ...args], { env, timeout: 30_000 }, (err, stdout, stderr) => {
      done({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr });
    });
  });
}

/**
 * Registers the recommendation service's client-credentials client with the auth server's CLI (the
 * same `latchkey clients create` an operator runs): scope `cart:read`, audience `shop-api`. A client
 * left over from an earlier run is deleted first, so each start gets a fresh secret that only this
 * launcher and the recommendation process ever see (it is never logged).
 */
async function provisionRecommendationClient(cli: string, env: NodeJS.ProcessEnv): Promise<{ clientId: string; clientSecret: string }> {
  await runCli(cli, ['clients', 'delete', RECOMMENDATION_CLIENT_ID], env); // exit 1 when there is none: fine
  const created = await runCli(
    cli,
    ['clients', 'create', '--id', RECOMMENDATION_CLIENT_ID, '--name', 'Shop recommendation service', '--scopes', CART_READ_SCOPE, '--audience', SHOP_AUDIENCE, '--json'],
    env,
  );
  if (created.code !== 0) throw new Error(`could not register the recommendation client: ${created.stderr.trim()}`);
  const parsed = JSON.parse(created.stdout) as { client_id?: unknown; client_secret?: unknown };
  if (typeof parsed.client_id !== 'string' || typeof parsed.client_secret !== 'string') throw new Error('latchkey clients create printed no credentials');
  return { clientId: parsed.client_id, clientSecret: parsed.client_secret };
}

async function waitHealthy(child: Child, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void child.exit.then(() => (exited = true));
  for (;;) {
    if (exited) throw new Error(`${child.name} exited before it was ready`);
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
      await res.body?.cancel();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${child.name} did not answer ${url}/healthz within ${timeoutMs} ms`);
    await Promise.race([new Promise((r) => setTimeout(r, 100)), child.exit]);
  }
}

async function stopChild(child: Child): Promise<void> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  child.proc.kill('SIGTERM');
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), 5000);
  await child.exit;
  clearTimeout(timer);
}

/**
 * Starts the whole demo: the auth server, the cart, customer and recommendation services and the
 * gateway, each its own process on a free loopback port (the gateway on `port`), waits until each one
 * answers its health check, and prints every URL and the data folder.
 *
 * @example
 * ```ts
 * const shop = await startShop({ port: 0, dataDir: tmp, handleSignals: false });
 * // ... use shop.url ...
 * await shop.stop();
 * ```
 */
export async function startShop(options: StartShopOptions = {}): Promise<RunningShop> {
  const log = options.log ?? ((line: string) => console.log(line));
  const handleSignals = options.handleSignals ?? true;
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const dataDir = resolve(options.dataDir ?? process.env['LATCHKEY_DATA_DIR'] ?? './.latchkey');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });

  let gatewayPort = options.port ?? portFromEnv('PORT', 8080);
  if (gatewayPort === 0) gatewayPort = await freePort();
  const [authPort, cartPort, customerPort, recommendationPort] = [
    await freePort(), await freePort(), await freePort(), await freePort(),
  ];
  const loopback = (port: number): string => `http://127.0.0.1:${port}`;
  const urls: ShopUrls = {
    // The issuer is the origin the browser sees: every token names the gateway, not the auth process.
    gateway: `http://localhost:${gatewayPort}`,
    auth: loopback(authPort!),
    cart: loopback(cartPort!),
    customer: loopback(customerPort!),
    recommendation: loopback(recommendationPort!),
  };
  const gatewayOrigins = [urls.gateway, `http://127.0.0.1:${gatewayPort}`];
  // The services follow the auth server's revocation feed directly (not through the gateway), with a
  // per-run shared secret.
  const feedToken = randomBytes(32).toString('base64url');
  const base = { ...process.env, LATCHKEY_DATA_DIR: dataDir, NODE_ENV: process.env['NODE_ENV'] ?? 'development' };
  const serviceEnv = (port: number, extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
    ...base,
    PORT: String(port),
    HOST: '127.0.0.1',
    LATCHKEY_ISSUER: urls.gateway,
    LATCHKEY_AUDIENCE: SHOP_AUDIENCE,
    LATCHKEY_JWKS_URI: `${urls.auth}/.well-known/jwks.json`,
    LATCHKEY_TRUSTED_ORIGINS: gatewayOrigins.join(','),
    LATCHKEY_REVOCATION_URL: `${urls.auth}/auth/revocations/stream`,
    LATCHKEY_REVOCATION_TOKEN: feedToken,
    ...extra,
  });

  const authCli = options.authServerCli ?? defaultAuthServerCli();
  const authEnv: NodeJS.ProcessEnv = {
    ...base,
    PORT: String(authPort),
    HOST: '127.0.0.1',
    LATCHKEY_ISSUER: urls.gateway,
    LATCHKEY_AUDIENCE: SHOP_AUDIENCE,
    LATCHKEY_CORS_ORIGINS: gatewayOrigins.join(','),
    LATCHKEY_REVOCATION_FEED_TOKEN: feedToken,
    // The gateway is the auth server's trusted proxy (it connects from loopback and overwrites
    // X-Forwarded-For with the browser's address), so per-address rate limits see real clients.
    LATCHKEY_TRUST_PROXY: '127.0.0.1',
  };
  const recommendationClient = await provisionRecommendationClient(authCli, authEnv);

  const plan: { name: string; args: string[]; env: NodeJS.ProcessEnv; url: string }[] = [
    {
      name: 'auth',
      args: [authCli, 'serve', '--port', String(authPort)],
      env: authEnv,
      url: urls.auth,
    },
    { name: 'cart', args: [join(here, 'services', 'cart.js')], env: serviceEnv(cartPort!), url: urls.cart },
    { name: 'customer', args: [join(here, 'services', 'customer.js')], env: serviceEnv(customerPort!), url: urls.customer },
    {
      name: 'recommendation',
      args: [join(here, 'services', 'recommendation.js')],
      env: serviceEnv(recommendationPort!, {
        CART_URL: urls.cart,
        LATCHKEY_TOKEN_URL: `${urls.auth}/oauth/token`,
        LATCHKEY_CLIENT_ID: recommendationClient.clientId,
        LATCHKEY_CLIENT_SECRET: recommendationClient.clientSecret,
      }),
      url: urls.recommendation,
    },
    {
      name: 'gateway',
      args: [join(here, 'gateway.js')],
      env: {
        ...base,
        PORT: String(gatewayPort),
        HOST: 'localhost',
        AUTH_URL: urls.auth,
        CART_URL: urls.cart,
        CUSTOMER_URL: urls.customer,
        RECOMMENDATION_URL: urls.recommendation,
      },
      url: `http://127.0.0.1:${gatewayPort}`,
    },
  ];

  const children: Child[] = [];
  let stopping = false;
  let stopped: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping = true;
    // Gateway first (no new traffic), then the services together, the auth server last.
    stopped ??= (async () => {
      const [auth, ...rest] = children;
      const gateway = rest.find((c) => c.name === 'gateway');
      if (gateway !== undefined) await stopChild(gateway);
      await Promise.all(rest.filter((c) => c !== gateway).map(stopChild));
      if (auth !== undefined) await stopChild(auth);
    })();
    return stopped;
  };

  let reportExit!: (info: { name: string; code: number | null; signal: NodeJS.Signals | null }) => void;
  const exited = new Promise<{ name: string; code: number | null; signal: NodeJS.Signals | null }>((r) => (reportExit = r));

  try {
    for (const step of plan) {
      const child = spawnChild(step.name, step.args, step.env, log);
      children.push(child);
      void child.exit.then(({ code, signal }) => {
        if (!stopping) reportExit({ name: step.name, code, signal });
      });
      await waitHealthy(child, step.url, timeoutMs);
    }
  } catch (err) {
    await stop();
    throw err;
  }

  const width = 16;
  log('');
  log('Latchkey shop is running');
  log(`  ${'shop (open this)'.padEnd(width)} ${urls.gateway}`);
  log(`  ${'auth server'.padEnd(width)} ${urls.auth}`);
  log(`  ${'cart'.padEnd(width)} ${urls.cart}`);
  log(`  ${'customer'.padEnd(width)} ${urls.customer}`);
  log(`  ${'recommendation'.padEnd(width)} ${urls.recommendation}`);
  log(`  ${'data folder'.padEnd(width)} ${dataDir}`);
  if (handleSignals) log('Press Ctrl-C to stop.');

  if (handleSignals) {
    const onSignal = (signal: NodeJS.Signals): void => {
      log(`\n${signal}: stopping the shop…`);
      void stop().then(() => process.exit(0));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    process.once('SIGHUP', onSignal);
    void exited.then(({ name, code, signal }) => {
      // A child that was told to stop (it exits 0 on SIGINT/SIGTERM; or was killed by one of those)
      // is an orderly shutdown, e.g. a Ctrl-C that reached it before us; anything else is a crash.
      const asked = code === 0 || signal === 'SIGINT' || signal === 'SIGTERM';
      const how = signal ?? `exit code ${String(code)}`;
      log(asked ? `${name} stopped (${how}); stopping the shop…` : `${name} stopped unexpectedly (${how}); stopping everything.`);
      void stop().then(() => process.exit(asked ? 0 : 1));
    });
  }

  return { url: urls.gateway, urls, dataDir, stop, exited };
}

if (isMain(import.meta.url)) {
  startShop().catch((err: unknown) => {
    console.error(`shop: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
