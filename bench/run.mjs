#!/usr/bin/env node
// npm run bench [-- --quick]: every Latchkey benchmark, side by side with raw node:crypto and the
// best JWT libraries. Prints progress and a table, writes bench/results/latest.json and the chart
// docs/benchmarks-chart.svg. Each benchmark runs in its own process; HTTP load comes from a separate
// autocannon process on loopback. Timing targets are checked here, never in `npm test`.
import { fork, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { median } from './lib/stats.mjs';
import { exportKey, makeKey, mint } from './lib/tokens.mjs';
import { renderChart } from './lib/chart.mjs';

const quick = process.argv.includes('--quick');
const root = new URL('..', import.meta.url);
const here = new URL('.', import.meta.url);
const started = Date.now();
const log = (msg) => process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${msg}\n`);

function version(pkg) {
  try {
    return JSON.parse(readFileSync(new URL(`node_modules/${pkg}/package.json`, root), 'utf8')).version;
  } catch {
    return 'unknown';
  }
}

/** Runs a bench script in a child node process; its stderr is progress, its stdout one JSON line. */
function runChild(script, args = []) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', new URL(script, here).pathname, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { for (const line of String(d).split('\n')) if (line.trim()) log(line); });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${script} exited with ${code}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()));
      } catch (err) {
        reject(err);
      }
    });
  });
}

/** A forked child speaking IPC: `request(msg)` resolves with the child's next message. */
function forkIpc(script, args) {
  const child = fork(new URL(script, here).pathname, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = [];
  child.on('message', (m) => waiting.shift()?.(m));
  const next = () => new Promise((resolve) => waiting.push(resolve));
  return {
    child,
    ready: next(),
    request(msg) {
      const p = next();
      child.send(msg);
      return p;
    },
    stop() {
      if (child.connected) child.send({ cmd: 'stop' });
    },
  };
}

async function httpBench() {
  const key = makeKey('ES256');
  const keyJson = JSON.stringify(exportKey(key));
  const csrf = 'c'.repeat(43);
  const token = mint(key, { sub: 'bench-user', csrf });
  const variants = ['latchkey', 'none', 'fastify-jwt'];
  const servers = Object.fromEntries(variants.map((v) => [v, forkIpc('http-server.mjs', [v, keyJson])]));
  const load = forkIpc('http-load.mjs', []);
  try {
    const ports = Object.fromEntries(await Promise.all(variants.map(async (v) => [v, (await servers[v].ready).port])));
    await load.ready;
    const routes = {
      get_bearer: { method: 'GET', path: '/api/cart', headers: { authorization: `Bearer ${token}` } },
      put_cookie_csrf: {
        method: 'PUT',
        path: '/api/cart/items/espresso-beans',
        headers: { cookie: `theme=dark; __Host-lk_at=${token}`, 'x-csrf-token': csrf, 'content-type': 'application/json', 'sec-fetch-site': 'same-origin' },
        body: JSON.stringify({ quantity: 2 }),
      },
    };
    const duration = quick ? 2 : 5;
    const rounds = quick ? 2 : 5;
    const results = {};
    for (const [routeName, route] of Object.entries(routes)) {
      const perRound = Object.fromEntries(variants.map((v) => [v, []]));
      // Warm-up (JIT, the verifier's token cache, SQLite pages): not counted.
      for (const v of variants) {
        await load.request({ url: `http://127.0.0.1:${ports[v]}${route.path}`, method: route.method, headers: route.headers, body: route.body, duration: 1, connections: 10 });
      }
      for (let r = 0; r < rounds; r++) {
        const order = r % 2 === 0 ? variants : [...variants].reverse();
        for (const v of order) {
          const cpu0 = (await servers[v].request({ cmd: 'cpu' })).cpu;
          const res = await load.request({ url: `http://127.0.0.1:${ports[v]}${route.path}`, method: route.method, headers: route.headers, body: route.body, duration, connections: 10 });
          const cpu1 = (await servers[v].request({ cmd: 'cpu' })).cpu;
          res.cpu_us_per_req = (cpu1.user - cpu0.user + cpu1.system - cpu0.system) / res.requests;
          perRound[v].push(res);
          if (res.non2xx > 0 || res.errors > 0) log(`  WARNING ${routeName} ${v}: ${res.non2xx} non-2xx, ${res.errors} errors`);
        }
        log(`  http ${routeName}: round ${r + 1}/${rounds}: ${variants.map((v) => `${v} ${Math.round(perRound[v].at(-1).rps)} req/s`).join(', ')}`);
      }
      const summary = {};
      for (const v of variants) {
        summary[v] = {
          rps: Math.round(median(perRound[v].map((x) => x.rps))),
          p50_ms: median(perRound[v].map((x) => x.p50)),
          p99_ms: median(perRound[v].map((x) => x.p99)),
          cpu_us_per_req: Number(median(perRound[v].map((x) => x.cpu_us_per_req)).toFixed(1)),
          non2xx: perRound[v].reduce((a, x) => a + x.non2xx + x.errors, 0),
        };
      }
      const ratio = (a, b) => median(perRound[a].map((x, i) => x.rps / perRound[b][i].rps));
      summary.latchkey_vs_none = ratio('latchkey', 'none');
      // Requests per CPU-second of the server ("per core"): robust to the machine's other jobs.
      summary.latchkey_vs_none_per_core = median(perRound.latchkey.map((x, i) => perRound.none[i].cpu_us_per_req / x.cpu_us_per_req));
      summary.fastify_jwt_vs_none_per_core = median(perRound['fastify-jwt'].map((x, i) => perRound.none[i].cpu_us_per_req / x.cpu_us_per_req));
      summary.latchkey_vs_fastify_jwt = ratio('latchkey', 'fastify-jwt');
      summary.auth_cpu_us_per_req = Number((summary.latchkey.cpu_us_per_req - summary.none.cpu_us_per_req).toFixed(1));
      summary.fastify_jwt_auth_cpu_us_per_req = Number((summary['fastify-jwt'].cpu_us_per_req - summary.none.cpu_us_per_req).toFixed(1));
      results[routeName] = summary;
    }
    return { connections: 10, duration_s: duration, rounds, routes: results };
  } finally {
    for (const s of Object.values(servers)) s.stop();
    load.stop();
  }
}

const pct = (x) => `${(x * 100).toFixed(1)} %`;
const times = (x) => `${x.toFixed(2)}×`;
const num = (x) => Math.round(x).toLocaleString('en-US');

function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r, j) => {
    const line = `| ${r.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
    return j === 0 ? `${line}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|` : line;
  }).join('\n');
}

log(`Latchkey benchmarks${quick ? ' (quick)' : ''} — ${availableParallelism()} cores, load average ${loadavg()[0].toFixed(2)}`);
log('1/5 verification, cold and warm (per core: ops per CPU-second of the process)');
const verify = await runChild('verify-bench.mjs', quick ? ['--quick'] : []);
log('2/5 HTTP: cart service (Latchkey) vs no auth vs @fastify/jwt, autocannon on loopback');
const http = await httpBench();
log('3/5 auth server on SQLite: refresh, login, event-loop delay');
const auth = await runChild('auth-bench.mjs', quick ? ['--quick'] : []);
log(`4/5 memory: 100,000 cached tokens${quick ? ' (50,000 measured, scaled)' : ''}`);
const memory = await runChild('memory-bench.mjs', quick ? ['--quick'] : []);
log('5/5 revocation latency: logout → token_revoked at 3 verifiers following the feed');
const revocation = await runChild('revocation-latency.mjs', ['--json', '--n', quick ? '20' : '50']);

const algs = ['EdDSA', 'ES256', 'RS256'];
const ratios = {
  cold_vs_raw: Object.fromEntries(algs.map((a) => [a, verify.cold[a].vs_raw.latchkey])),
  cold_vs_jose: Object.fromEntries(algs.map((a) => [a, verify.cold[a].latchkey_vs_jose])),
  cold_vs_fastjwt: Object.fromEntries(algs.map((a) => [a, verify.cold[a].latchkey_vs_fastjwt])),
  warm_vs_fastjwt_cached: verify.warm.latchkey_vs_fastjwt_cached,
  http_authed_vs_unauthed: Math.min(http.routes.get_bearer.latchkey_vs_none, http.routes.put_cookie_csrf.latchkey_vs_none),
  http_authed_vs_unauthed_per_core: Math.min(http.routes.get_bearer.latchkey_vs_none_per_core, http.routes.put_cookie_csrf.latchkey_vs_none_per_core),
  http_authed_vs_unauthed_by_route: {
    get_bearer: http.routes.get_bearer.latchkey_vs_none,
    put_cookie_csrf: http.routes.put_cookie_csrf.latchkey_vs_none,
  },
  http_vs_fastify_jwt: {
    get_bearer: http.routes.get_bearer.latchkey_vs_fastify_jwt,
    put_cookie_csrf: http.routes.put_cookie_csrf.latchkey_vs_fastify_jwt,
  },
};
const figures = {
  cold_ops_per_s: Object.fromEntries(algs.map((a) => [a, verify.cold[a].ops_per_s])),
  cold_vs_raw_all: Object.fromEntries(algs.map((a) => [a, verify.cold[a].vs_raw])),
  warm_ops_per_s: verify.warm.ops_per_s,
  isolated_authenticate_us: verify.isolated,
  http: http.routes,
  refresh_per_s: auth.refresh_per_s,
  refresh_per_cpu_s: auth.refresh_per_cpu_s,
  login_per_s: auth.login_per_s,
  login_loop_delay_p99_ms: auth.login_loop_delay_p99_ms,
  idle_loop_delay_p99_ms: auth.idle_loop_delay_p99_ms,
  memory_100k_tokens: memory,
  // The slowest of the three verifiers per logout: when the token is refused everywhere.
  revocation_latency_ms: revocation.all_three,
  revocation_latency_per_verifier_ms: revocation.per_verifier,
};
const targets = [
  ...algs.map((a) => ({ name: `cold ${a} ≥ ${a === 'RS256' ? 80 : 90} % of raw`, value: pct(ratios.cold_vs_raw[a]), met: ratios.cold_vs_raw[a] >= (a === 'RS256' ? 0.8 : 0.9) })),
  ...algs.map((a) => ({ name: `cold ${a} ahead of jose and fast-jwt`, value: `${times(ratios.cold_vs_jose[a])} jose, ${times(ratios.cold_vs_fastjwt[a])} fast-jwt`, met: ratios.cold_vs_jose[a] > 1 && ratios.cold_vs_fastjwt[a] > 1 })),
  { name: 'warm ≥ 2× fast-jwt cached', value: times(ratios.warm_vs_fastjwt_cached), met: ratios.warm_vs_fastjwt_cached >= 2 },
  { name: 'HTTP authed ≥ 85 % of unauthed (warm, per core)', value: `${pct(ratios.http_authed_vs_unauthed_per_core)} per core (${pct(ratios.http_authed_vs_unauthed)} wall req/s)`, met: ratios.http_authed_vs_unauthed_per_core >= 0.85 },
  { name: 'refresh ≥ 5,000/s on one core', value: `${num(auth.refresh_per_cpu_s)}/CPU-s (${num(auth.refresh_per_s)}/s wall)`, met: auth.refresh_per_cpu_s >= 5000 },
  { name: 'login loop delay p99 < 20 ms', value: `${auth.login_loop_delay_p99_ms} ms (idle p99 ${auth.idle_loop_delay_p99_ms} ms)`, met: auth.login_loop_delay_p99_ms < 20 },
];

const result = {
  generated_at: new Date().toISOString(),
  quick,
  duration_s: Math.round((Date.now() - started) / 1000),
  machine: {
    cores: availableParallelism(), cpu: cpus()[0]?.model ?? 'unknown', memory_gb: Number((totalmem() / 2 ** 30).toFixed(1)),
    node: process.version, platform: `${process.platform} ${process.arch}`, load_average_at_end: loadavg().map((x) => Number(x.toFixed(2))),
  },
  versions: {
    latchkey: JSON.parse(readFileSync(new URL('packages/verify/package.json', root), 'utf8')).version,
    jose: version('jose'), 'fast-jwt': version('fast-jwt'), '@fastify/jwt': version('@fastify/jwt'),
    fastify: version('fastify'), autocannon: version('autocannon'),
  },
  method: {
    verify: 'ops per CPU-second of the bench process (user+system, all threads), contenders interleaved in batches of 50 (cold) / 1000 (warm) within each round, alternating order, GC between slices; medians over rounds; ratios are medians of per-round ratios',
    http: `server process per variant, autocannon (separate process, ${http.connections} connections) on 127.0.0.1, ${http.duration_s} s per run, ${http.rounds} rounds alternating variants, medians; CPU µs/request from the server's process.cpuUsage()`,
    auth: auth.method,
    revocation: revocation.method,
  },
  ratios,
  figures,
  targets,
};

mkdirSync(new URL('results/', here), { recursive: true });
writeFileSync(new URL('results/latest.json', here), `${JSON.stringify(result, null, 2)}\n`);
writeFileSync(new URL('docs/benchmarks-chart.svg', root), renderChart(result));

const coldRows = [['cold verify, ops/s per core', 'raw node:crypto', 'Latchkey', 'jose', 'fast-jwt', 'fast-jwt async key', 'Latchkey vs raw', 'vs jose', 'vs fast-jwt']];
for (const a of algs) {
  const o = verify.cold[a].ops_per_s;
  coldRows.push([a, num(o.raw), num(o.latchkey), num(o.jose), num(o.fastjwt), num(o.fastjwt_async_key), pct(ratios.cold_vs_raw[a]), times(ratios.cold_vs_jose[a]), times(ratios.cold_vs_fastjwt[a])]);
}
const httpRows = [['HTTP (cart, ES256, 10 conn)', 'req/s Latchkey', 'no auth', '@fastify/jwt', 'Latchkey/no auth (wall)', 'per core: Latchkey, @fastify/jwt', 'p50/p99 ms L / none / fj', 'server CPU µs/req L / none / fj']];
for (const [name, r] of Object.entries(http.routes)) {
  const lat = (v) => `${r[v].p50_ms}/${r[v].p99_ms}`;
  httpRows.push([name, num(r.latchkey.rps), num(r.none.rps), num(r['fastify-jwt'].rps), pct(r.latchkey_vs_none),
    `${pct(r.latchkey_vs_none_per_core)}, ${pct(r.fastify_jwt_vs_none_per_core)}`, `${lat('latchkey')} / ${lat('none')} / ${lat('fastify-jwt')}`,
    `${r.latchkey.cpu_us_per_req} / ${r.none.cpu_us_per_req} / ${r['fastify-jwt'].cpu_us_per_req}`]);
}
const otherRows = [
  ['other figures', 'value'],
  ['warm verify (cache hits), ops/s per core', `Latchkey ${num(verify.warm.ops_per_s.latchkey_cached)}, fast-jwt cached ${num(verify.warm.ops_per_s.fastjwt_cached)} (${times(ratios.warm_vs_fastjwt_cached)})`],
  ['authenticate() outside a framework, µs', `cookie+CSRF ${verify.isolated.cookie_csrf_node_us}, Bearer ${verify.isolated.bearer_node_us}, cookie+CSRF on the WebCrypto backend ${verify.isolated.cookie_csrf_web_backend_us}`],
  ['refresh (SQLite, inject)', `${num(auth.refresh_per_s)}/s wall, ${num(auth.refresh_per_cpu_s)} per CPU-second`],
  ['login (Argon2id, inject)', `${auth.login_per_s}/s; loop delay p99 ${auth.login_loop_delay_p99_ms} ms during a burst of ${auth.login_burst} (idle p99 ${auth.idle_loop_delay_p99_ms} ms)`],
  ['revocation latency (logout → refused by all 3 verifiers)', `p50 ${revocation.all_three.p50} ms, p95 ${revocation.all_three.p95} ms, max ${revocation.all_three.max} ms (${revocation.logouts} logouts)`],
  ['100,000 cached tokens', `RSS ${memory.rss_after_mb} MB (+${memory.rss_delta_mb} MB), heap ${memory.heap_bytes_per_token} B/token, token ${memory.avg_token_bytes} B`],
];
const targetRows = [['target', 'measured', 'met'], ...targets.map((t) => [t.name, t.value, t.met ? 'yes' : 'NO'])];
process.stdout.write(`\n${table(coldRows)}\n\n${table(httpRows)}\n\n${table(otherRows)}\n\n${table(targetRows)}\n\n`);
log(`wrote bench/results/latest.json and docs/benchmarks-chart.svg (${quick ? 'quick' : 'full'} run)`);
