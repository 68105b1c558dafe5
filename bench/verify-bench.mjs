// Cold and warm verification, side by side, in one process per run (spawned by run.mjs).
// Prints progress on stderr and one JSON object on stdout.
import { verify as cryptoVerify } from 'node:crypto';
import { createVerifier as fastJwtVerifier } from 'fast-jwt';
import { importJWK, jwtVerify } from 'jose';
import { createVerifier } from '@latchkey/verify';
import { createVerifierWith } from '../packages/verify/dist/src/create-verifier.js';
import { backend as webBackend } from '../packages/verify/dist/src/crypto-backend-web.js';
import { batchOf, median, roundRatio, sideBySide } from './lib/stats.mjs';
import { ALGS, AUDIENCE, ISSUER, makeKey, mint } from './lib/tokens.mjs';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 5 : 11;
const POOL = quick ? 500 : 1500; // distinct tokens per contender per round (cold)
const WARM_OPS = quick ? 20_000 : 100_000;
const log = (...a) => process.stderr.write(`${a.join(' ')}\n`);
const REQUIRED = ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'client_id'];

function rawVerifier(key) {
  const ko = key.publicKey;
  return (token) => {
    const dot = token.lastIndexOf('.');
    const data = Buffer.from(token.slice(0, dot), 'latin1');
    const sig = Buffer.from(token.slice(dot + 1), 'base64url');
    const ok = key.alg === 'EdDSA' ? cryptoVerify(null, data, ko, sig)
      : key.alg === 'ES256' ? cryptoVerify('sha256', data, { key: ko, dsaEncoding: 'ieee-p1363' }, sig)
      : cryptoVerify('sha256', data, ko, sig);
    if (!ok) throw new Error('bad signature');
  };
}

function fastJwtOptions(key, extra) {
  return { key: key.pem, algorithms: [key.alg], allowedIss: ISSUER, allowedAud: AUDIENCE, requiredClaims: REQUIRED, ...extra };
}

async function cold(alg) {
  const key = makeKey(alg);
  const tokens = Array.from({ length: POOL }, () => mint(key));
  const lk = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [key.jwk] }, tokenCache: { enabled: false } });
  const lkWeb = createVerifierWith({ issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [key.jwk] }, tokenCache: { enabled: false } }, webBackend);
  const joseKey = await importJWK(key.jwk, alg);
  const joseOpts = { algorithms: [alg], issuer: ISSUER, audience: AUDIENCE, typ: 'at+jwt', requiredClaims: REQUIRED };
  const fj = fastJwtVerifier(fastJwtOptions(key, { cache: false }));
  const fjAsync = fastJwtVerifier(fastJwtOptions(key, { cache: false, key: async () => key.pem }));
  const raw = rawVerifier(key);
  // Every contender must accept the tokens before it is timed.
  await lk.verifyAccessToken(tokens[0]); await lkWeb.verifyAccessToken(tokens[0]);
  await jwtVerify(tokens[0], joseKey, joseOpts); fj(tokens[0]); await fjAsync(tokens[0]); raw(tokens[0]);
  const n = tokens.length; // a multiple of 50
  const contenders = [
    { name: 'raw', batch: batchOf((i) => raw(tokens[i]), false) },
    { name: 'latchkey', batch: batchOf((i) => lk.verifyAccessToken(tokens[i]), true) },
    { name: 'jose', batch: batchOf((i) => jwtVerify(tokens[i], joseKey, joseOpts), true) },
    { name: 'fastjwt', batch: batchOf((i) => fj(tokens[i]), false) },
    { name: 'fastjwt_async_key', batch: batchOf((i) => fjAsync(tokens[i]), true) },
    { name: 'latchkey_web_backend', batch: batchOf((i) => lkWeb.verifyAccessToken(tokens[i]), true) },
  ];
  // Each round, every contender verifies each pooled token once (a distinct token every time).
  const perRound = await sideBySide(contenders, { rounds: ROUNDS, slices: n / 50, batchSize: 50, onRound: (r, t) => log(`  cold ${alg}: round ${r}/${t}`) });
  const opsPerS = Object.fromEntries(Object.entries(perRound).map(([k, v]) => [k, Math.round(median(v))]));
  const vsRaw = Object.fromEntries(contenders.filter((c) => c.name !== 'raw').map((c) => [c.name, roundRatio(perRound, c.name, 'raw')]));
  return {
    ops_per_s: opsPerS,
    vs_raw: vsRaw,
    latchkey_vs_jose: roundRatio(perRound, 'latchkey', 'jose'),
    latchkey_vs_fastjwt: roundRatio(perRound, 'latchkey', 'fastjwt'),
    per_round: perRound,
  };
}

async function warm() {
  const key = makeKey('ES256');
  // A microservice sees the same few live tokens again and again: 100 users, all cache hits.
  const tokens = Array.from({ length: 100 }, () => mint(key));
  const lk = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [key.jwk] } });
  const fj = fastJwtVerifier(fastJwtOptions(key, { cache: true }));
  for (const t of tokens) { await lk.verifyAccessToken(t); fj(t); }
  const contenders = [
    { name: 'latchkey_cached', batch: batchOf((i) => lk.verifyAccessToken(tokens[i % 100]), true) },
    { name: 'fastjwt_cached', batch: batchOf((i) => fj(tokens[i % 100]), false) },
  ];
  const perRound = await sideBySide(contenders, { rounds: ROUNDS, slices: WARM_OPS / 1000, batchSize: 1000, onRound: (r, t) => log(`  warm ES256: round ${r}/${t}`) });
  return {
    ops_per_s: Object.fromEntries(Object.entries(perRound).map(([k, v]) => [k, Math.round(median(v))])),
    latchkey_vs_fastjwt_cached: roundRatio(perRound, 'latchkey_cached', 'fastjwt_cached'),
    per_round: perRound,
  };
}

// What authentication costs per request outside any framework (the "~6 µs isolated" side of the
// issue's question): cookie + same-site + CSRF on a PUT, and Bearer on a GET, warm tokens.
async function isolated() {
  const key = makeKey('ES256');
  const token = mint(key, { csrf: 'c'.repeat(43) });
  const opts = { issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [key.jwk] } };
  const node = createVerifier(opts);
  const web = createVerifierWith(opts, webBackend);
  const cookieReq = { method: 'PUT', headers: { host: '127.0.0.1', cookie: `theme=dark; __Host-lk_at=${token}`, 'x-csrf-token': 'c'.repeat(43), 'content-type': 'application/json', 'sec-fetch-site': 'same-origin' } };
  const bearerReq = { method: 'GET', headers: { host: '127.0.0.1', authorization: `Bearer ${token}` } };
  const ops = quick ? 5_000 : 40_000;
  const contenders = [
    { name: 'cookie_csrf_node', batch: batchOf(() => node.authenticate(cookieReq), true) },
    { name: 'bearer_node', batch: batchOf(() => node.authenticate(bearerReq), true) },
    { name: 'cookie_csrf_web_backend', batch: batchOf(() => web.authenticate(cookieReq), true) },
  ];
  const perRound = await sideBySide(contenders, { rounds: ROUNDS, slices: ops / 500, batchSize: 500, onRound: (r, t) => log(`  isolated authenticate: round ${r}/${t}`) });
  return Object.fromEntries(Object.entries(perRound).map(([k, v]) => [`${k}_us`, Number((1e6 / median(v)).toFixed(2))]));
}

const out = { cold: {} };
for (const alg of ALGS) {
  log(`cold verify ${alg} (${POOL} distinct tokens per contender per round, ${ROUNDS} rounds)`);
  out.cold[alg] = await cold(alg);
}
log(`warm verify (${WARM_OPS} cache hits per contender per round)`);
out.warm = await warm();
log('isolated authenticate cost');
out.isolated = await isolated();
process.stdout.write(`${JSON.stringify(out)}\n`);
