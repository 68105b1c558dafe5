#!/usr/bin/env node
// Revocation latency: how long from a logout until three verifiers following the revocation feed refuse
// the session's still-valid access token. The auth server runs as its own process (`latchkey serve`,
// SQLite in a temp folder, real HTTP); the three verifiers (one per shop service) run here, each with
// its own SSE connection. Timing starts just before the logout request is sent and stops when a
// verifier's feed delivered the entry (checked with verifyAccessToken → token_revoked).
//
// Usage: npm run build && node bench/revocation-latency.mjs [--n 50] [--json]
// `npm run bench` runs it with --json: the human lines go to stderr, one JSON line to stdout.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createVerifier, TokenRevokedError } from '@latchkey/verify';

const n = (process.argv.includes('--n') && Number(process.argv[process.argv.indexOf('--n') + 1])) || 50;
const json = process.argv.includes('--json');
const say = json ? (line) => process.stderr.write(`${line}\n`) : (line) => console.log(line);
const root = new URL('..', import.meta.url).pathname;
const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-bench-rev-'));
const feedToken = randomBytes(32).toString('base64url');
const issuer = 'http://localhost:8080';

const server = spawn(process.execPath, [join(root, 'packages/server/dist/src/cli.js'), 'serve', '--port', '0', '--json'], {
  env: { ...process.env, LATCHKEY_DATA_DIR: dataDir, LATCHKEY_ISSUER: issuer, LATCHKEY_AUDIENCE: 'shop-api', LATCHKEY_REVOCATION_FEED_TOKEN: feedToken },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const verifiers = [];
try {
  const { url } = await new Promise((resolve, reject) => {
    server.once('exit', (code) => reject(new Error(`auth server exited (${code})`)));
    createInterface({ input: server.stdout }).once('line', (line) => resolve(JSON.parse(line)));
  });

  // Each verifier resolves `waiters` as revocations arrive.
  for (const name of ['cart', 'customer', 'recommendation']) {
    const v = { name, waiters: [] };
    v.verifier = createVerifier({
      issuer,
      audience: 'shop-api',
      jwksUri: `${url}/.well-known/jwks.json`,
      revocation: { url: `${url}/auth/revocations/stream`, token: feedToken, log: (e) => e.type === 'revoked' && v.waiters.splice(0).forEach((w) => w()) },
    });
    verifiers.push(v);
  }
  await Promise.all(verifiers.map((v) => v.verifier.revocation.connected()));

  const post = (path, body) => fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const email = `bench-${Date.now()}@example.com`;
  const password = 'bench password long enough';
  if ((await post('/auth/signup', { email, password })).status !== 201) throw new Error('signup failed');

  const untilRevoked = async (v, token) => {
    for (;;) {
      const delivered = new Promise((r) => v.waiters.push(r));
      try {
        await v.verifier.verifyAccessToken(token);
      } catch (err) {
        if (err instanceof TokenRevokedError) return performance.now();
        throw err;
      }
      await delivered;
    }
  };

  const all = [];
  const slowest = [];
  for (let i = 0; i < n; i++) {
    const login = await (await post('/auth/login', { email, password, mode: 'token' })).json();
    for (const v of verifiers) await v.verifier.verifyAccessToken(login.access_token); // warm: valid before logout
    const t0 = performance.now();
    const res = await post('/auth/logout', { refresh_token: login.refresh_token });
    if (res.status !== 204) throw new Error(`logout answered ${res.status}`);
    const times = await Promise.all(verifiers.map((v) => untilRevoked(v, login.access_token)));
    const ms = times.map((t) => t - t0);
    all.push(...ms);
    slowest.push(Math.max(...ms));
  }

  const pct = (xs, p) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
  };
  const f = (x) => `${x.toFixed(1)} ms`;
  say(`revocation latency, logout → token_revoked at the verifier (${n} logouts, 3 verifiers, SSE feed, SQLite, loopback)`);
  say(`  per verifier (${all.length} samples):   p50 ${f(pct(all, 50))}   p95 ${f(pct(all, 95))}   max ${f(Math.max(...all))}`);
  say(`  all three refuse (${slowest.length} samples): p50 ${f(pct(slowest, 50))}   p95 ${f(pct(slowest, 95))}   max ${f(Math.max(...slowest))}`);
  if (json) {
    const r = (x) => Number(x.toFixed(2));
    process.stdout.write(`${JSON.stringify({
      method: `${n} logouts; ms from sending POST /auth/logout until each of 3 verifiers (SSE feed) refuses the access token; auth server is a separate latchkey serve process on SQLite, loopback`,
      logouts: n,
      per_verifier: { p50: r(pct(all, 50)), p95: r(pct(all, 95)), max: r(Math.max(...all)) },
      all_three: { p50: r(pct(slowest, 50)), p95: r(pct(slowest, 95)), max: r(Math.max(...slowest)) },
    })}\n`);
  }
} finally {
  for (const v of verifiers) await v.verifier.close();
  server.kill('SIGTERM');
  await new Promise((r) => (server.exitCode !== null ? r() : server.once('exit', r)));
  rmSync(dataDir, { recursive: true, force: true });
}
