// One variant of the shop's cart service, listening on loopback (spawned by run.mjs with IPC).
//   latchkey     the real service: buildCartService with @latchkey/fastify
//   none         the same app and routes with authentication switched off (fixed subject)
//   fastify-jwt  the same app and routes with @fastify/jwt (+ @fastify/cookie), fast-jwt cache on,
//                and the same CSRF rule written by hand (X-CSRF-Token must equal the csrf claim)
// Messages: parent → { cmd: 'cpu' } → child answers { cpu: process.cpuUsage() }; { cmd: 'stop' }.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, timingSafeEqual } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import fastifyJwt from '@fastify/jwt';
import { buildCartApp, buildCartService } from '../examples/shop/dist/src/services/cart.js';
import { AUDIENCE, ISSUER } from './lib/tokens.mjs';

const [variant, keyJson] = process.argv.slice(2);
const key = JSON.parse(keyJson);
const dataDir = mkdtempSync(join(tmpdir(), `latchkey-bench-${variant}-`));
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
const sha = (s) => createHash('sha256').update(s).digest();

let app;
if (variant === 'latchkey') {
  app = await buildCartService({ auth: { issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [key.jwk] } }, dataDir });
} else if (variant === 'none') {
  app = await buildCartApp({ dataDir }, async () => ({ requireAuth: async () => {}, subject: () => 'bench-user' }));
} else if (variant === 'fastify-jwt') {
  app = await buildCartApp({ dataDir }, async (a) => {
    await a.register(fastifyCookie);
    await a.register(fastifyJwt, {
      secret: { public: key.pem },
      cookie: { cookieName: '__Host-lk_at', signed: false },
      verify: { algorithms: [key.alg], allowedIss: ISSUER, allowedAud: AUDIENCE, cache: true },
    });
    return {
      async requireAuth(request, reply) {
        try {
          await request.jwtVerify();
        } catch {
          return reply.code(401).send({ error: 'invalid_token', error_description: 'The access token is invalid' });
        }
        const fromCookie = request.headers.authorization === undefined;
        if (fromCookie && !SAFE.has(request.method)) {
          const presented = request.headers['x-csrf-token'];
          const expected = request.user.csrf;
          if (typeof presented !== 'string' || typeof expected !== 'string' || !timingSafeEqual(sha(presented), sha(expected))) {
            return reply.code(403).send({ error: 'csrf_token_mismatch', error_description: 'CSRF check failed' });
          }
        }
      },
      subject: (request) => request.user.sub,
    };
  });
} else {
  throw new Error(`unknown variant ${variant}`);
}

await app.listen({ port: 0, host: '127.0.0.1' });
process.on('message', async (msg) => {
  if (msg.cmd === 'cpu') process.send({ cpu: process.cpuUsage() });
  if (msg.cmd === 'stop') {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  }
});
process.on('disconnect', () => {
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
});
process.send({ port: app.server.address().port });
