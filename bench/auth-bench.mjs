// The auth server on SQLite (a real file in a temp dir), driven in-process with Fastify's `inject`
// (no sockets: the figures are the server's own cost per request, without HTTP parsing).
//   refresh/s  token-mode refresh with rotation (read session, check hash, rotate, sign ES256)
//   login/s    token-mode login (Argon2id verify on the thread pool, new session, sign)
//   loop delay p99 while a burst of logins runs (perf_hooks.monitorEventLoopDelay)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { buildApp, loadConfig } from '@latchkey/server';
import { median } from './lib/stats.mjs';

const quick = process.argv.includes('--quick');
const log = (...a) => process.stderr.write(`${a.join(' ')}\n`);
const JSON_HEADERS = { 'content-type': 'application/json' };
const PASSWORD = 'correct horse battery staple';
const USERS = 8;
const ROUNDS = quick ? 3 : 7;
const REFRESH_SECONDS = quick ? 1 : 2;
const CHAINS = 16;
const BURST = quick ? 24 : 48;

const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-bench-auth-'));
const config = loadConfig({}, { issuer: 'http://localhost:8080', audience: 'shop-api', dataDir }, { warn: () => {} });
const app = await buildApp(config);

try {
  await Promise.all(Array.from({ length: USERS }, (_, i) => app.inject({
    method: 'POST', url: '/auth/signup', headers: JSON_HEADERS, payload: { email: `u${i}@bench.example`, password: PASSWORD },
  }).then((r) => { if (r.statusCode !== 201) throw new Error(`signup ${r.statusCode} ${r.body}`); })));

  const login = async (i) => {
    const r = await app.inject({
      method: 'POST', url: '/auth/login', headers: JSON_HEADERS,
      payload: { email: `u${i % USERS}@bench.example`, password: PASSWORD, mode: 'token' },
    });
    if (r.statusCode !== 200) throw new Error(`login ${r.statusCode} ${r.body}`);
    return r.json().refresh_token;
  };

  // Refresh: CHAINS sessions, each refreshing with the token the previous refresh returned.
  const chains = await Promise.all(Array.from({ length: CHAINS }, (_, i) => login(i)));
  const refreshRates = [];
  const refreshCpuRates = [];
  for (let r = 0; r < ROUNDS; r++) {
    let count = 0;
    const deadline = Date.now() + REFRESH_SECONDS * 1000;
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await Promise.all(chains.map(async (_, c) => {
      while (Date.now() < deadline) {
        const res = await app.inject({ method: 'POST', url: '/auth/refresh', headers: JSON_HEADERS, payload: { refresh_token: chains[c] } });
        if (res.statusCode !== 200) throw new Error(`refresh ${res.statusCode} ${res.body}`);
        chains[c] = res.json().refresh_token;
        count++;
      }
    }));
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    refreshRates.push(count / wall);
    refreshCpuRates.push(count / ((cpu.user + cpu.system) / 1e6));
    log(`  refresh: round ${r + 1}/${ROUNDS}: ${Math.round(count / wall)}/s`);
  }

  // Control: the loop delay of this process while idle, for the same machine noise.
  const idle = monitorEventLoopDelay({ resolution: 5 });
  idle.enable();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  idle.disable();
  const idleP99 = idle.percentile(99) / 1e6;

  // Login bursts with the event-loop delay histogram running.
  const loginRates = [];
  const delays = [];
  const bursts = quick ? 2 : 3;
  for (let b = 0; b < bursts; b++) {
    const h = monitorEventLoopDelay({ resolution: 5 });
    h.enable();
    const t0 = process.hrtime.bigint();
    await Promise.all(Array.from({ length: BURST }, (_, i) => login(i)));
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    h.disable();
    loginRates.push(BURST / wall);
    delays.push({ p50: h.percentile(50) / 1e6, p99: h.percentile(99) / 1e6, max: h.max / 1e6 });
    log(`  login burst ${b + 1}/${bursts}: ${BURST} logins in ${wall.toFixed(2)} s, loop delay p99 ${(h.percentile(99) / 1e6).toFixed(1)} ms`);
  }

  process.stdout.write(`${JSON.stringify({
    method: 'in-process inject, SQLite file store, ES256 signing',
    refresh_per_s: Math.round(median(refreshRates)),
    refresh_per_cpu_s: Math.round(median(refreshCpuRates)),
    refresh_rounds: refreshRates.map(Math.round),
    login_per_s: Number(median(loginRates).toFixed(1)),
    login_burst: BURST,
    login_loop_delay_p99_ms: Number(median(delays.map((d) => d.p99)).toFixed(2)),
    login_loop_delay_p50_ms: Number(median(delays.map((d) => d.p50)).toFixed(2)),
    login_loop_delay_max_ms: Number(Math.max(...delays.map((d) => d.max)).toFixed(2)),
    idle_loop_delay_p99_ms: Number(idleP99.toFixed(2)),
  })}\n`);
} finally {
  await app.close();
  rmSync(dataDir, { recursive: true, force: true });
}
