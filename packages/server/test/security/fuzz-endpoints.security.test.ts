/**
 * Rule: no body or header, however malformed, makes an auth-server endpoint answer 5xx, hang, or
 * corrupt the store. Property-based (fast-check) over every endpoint: random and malformed JSON, wrong
 * types, huge and deeply nested values, invalid UTF-8, control characters, prototype-pollution keys,
 * random Authorization/Cookie/CSRF/Origin headers and content types. Each request is bounded by a
 * timeout; afterwards users and sessions only grew by what succeeded, and a known user still signs in.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { buildApp, loadConfig, openSqliteStore, type PasswordHasher, type Store } from '../../src/index.js';

const plain: PasswordHasher = { hash: async (p) => `plain:${p}`, verify: async (h, p) => h === `plain:${p}` };
const ROUTES: Array<[string, string]> = [
  ['POST', '/auth/signup'],
  ['POST', '/auth/login'],
  ['POST', '/auth/refresh'],
  ['POST', '/auth/logout'],
  ['GET', '/auth/me'],
  ['POST', '/oauth/token'],
  ['POST', '/oauth/revoke'],
  ['POST', '/oauth/introspect'],
  ['GET', '/.well-known/jwks.json'],
  ['GET', '/.well-known/oauth-authorization-server'],
  ['GET', '/healthz'],
];
const TIMEOUT_MS = 5000;

const pollutionKeys = fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf');
const fieldNames = fc.oneof(
  fc.constantFrom('email', 'password', 'name', 'mode', 'refresh_token', 'grant_type', 'client_id', 'client_secret', 'token', 'scope', 'resource'),
  pollutionKeys,
  fc.string({ maxLength: 12 }),
);
const control = fc.string({ unit: fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)), maxLength: 20 });
const scalar = fc.oneof(
  fc.string({ maxLength: 40 }),
  control,
  fc.constantFrom('alice@example.com', 'correct horse battery', 'cookie', 'token', 'client_credentials', 'refresh_token', 'a@b.c'),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
);
const value = fc.letrec((tie) => ({
  v: fc.oneof({ maxDepth: 3 }, scalar, fc.array(tie('v'), { maxLength: 4 }), fc.dictionary(fieldNames, tie('v'), { maxKeys: 4 })),
})).v;
const jsonText = value.map((v) => JSON.stringify(v) ?? 'null');
const body: fc.Arbitrary<string | Buffer> = fc.oneof(
  jsonText,
  fc.dictionary(fieldNames, value, { maxKeys: 5 }).map((o) => JSON.stringify(o)),
  pollutionKeys.map((k) => `{"${k}":{"polluted":true},"email":"a@b.c","password":"password-1"}`),
  fc.string({ maxLength: 200 }),
  fc.nat({ max: 6000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`),
  fc.nat({ max: 3000 }).map((depth) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
  fc.nat({ max: 20_000 }).map((n) => JSON.stringify({ email: 'a@b.c', password: 'x'.repeat(n) })),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
  fc.constantFrom(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), Buffer.from('{"email":"\xc3\x28@x.y","password":"\xed\xa0\x80"}', 'latin1')),
  fc.dictionary(fieldNames, fc.string({ maxLength: 30 }), { maxKeys: 5 }).map((o) => new URLSearchParams(o).toString()),
);
// Header values Node can send (latin1 printable plus tab); control bytes are the "body" arbitraries' job.
const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 120 });
const headers = fc.record(
  {
    'content-type': fc.oneof(fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', ''), headerText),
    authorization: fc.oneof(headerText, fc.constantFrom('Bearer', 'Basic', 'Bearer a.b.c', 'Basic Og==', 'Basic YTpi', 'Bearer ' + 'A'.repeat(9000))),
    cookie: fc.oneof(headerText, fc.constantFrom('__Host-lk_at=a.b.c', '__Secure-lk_rt=x.y', '__Secure-lk_rt=; __Secure-lk_rt=x', '__Host-lk_at="a.b.c"', '=;=;;==')),
    'x-csrf-token': headerText,
    origin: fc.oneof(headerText, fc.constantFrom('null', 'http://localhost:8080', 'http://localhost:8080.attacker.test')),
    'sec-fetch-site': fc.constantFrom('cross-site', 'same-origin', 'none', 'same-site'),
  },
  { requiredKeys: [] },
);

async function within<T>(p: Promise<T>, label: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label}: no answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('security: fuzzed requests to every auth-server endpoint', () => {
  let app: FastifyInstance;
  let store: Store;
  let created = 0;
  let sessionsMade = 0;
  let counter = 0;
  let answered = 0;
  let skipped = 0;

  before(async () => {
    store = openSqliteStore(':memory:');
    const config = loadConfig({}, { issuer: 'http://localhost:8080', audience: 'shop-api' }, { warn: () => {} });
    app = await buildApp(config, { store, passwords: plain });
    const res = await app.inject({ method: 'POST', url: '/auth/signup', headers: { 'content-type': 'application/json' }, payload: { email: 'known@example.com', password: 'known password' } });
    assert.equal(res.statusCode, 201);
  });
  after(async () => {
    await app.close();
    await store.close();
  });

  async function send(method: string, url: string, h: Record<string, string>, payload: string | Buffer | undefined): Promise<void> {
    const label = `${method} ${url}`;
    const opts: InjectOptions = {
      method: method as 'GET' | 'POST',
      url,
      headers: h,
      // A fresh client address each time, so the per-address brute-force limit never masks a route.
      remoteAddress: `10.${(counter >> 16) & 255}.${(counter >> 8) & 255}.${counter++ & 255}`,
      ...(payload === undefined ? {} : { payload }),
    };
    let res;
    try {
      res = await within(app.inject(opts), label);
    } catch (err) {
      // light-my-request refuses to build some requests client-side (e.g. a bad header); that is not the server's answer.
      if (err instanceof Error && /no answer within/.test(err.message)) throw err;
      if (err instanceof TypeError) {
        skipped += 1;
        return;
      }
      throw err;
    }
    answered += 1;
    assert.ok(res.statusCode < 500, `${label} answered ${res.statusCode}: ${res.body}`);
    if (res.statusCode >= 400) {
      const b = res.json<{ error?: unknown; error_description?: unknown }>();
      assert.match(String(b.error), /^[a-z]+(_[a-z]+)*$/, `${label}: ${res.body}`);
      assert.equal(typeof b.error_description, 'string', label);
      assert.equal(res.body.includes('    at '), false, 'no stack trace');
    }
    if (url === '/auth/signup' && res.statusCode === 201) created += 1;
    if (url === '/auth/login' && res.statusCode === 200) sessionsMade += 1;
  }

  it('random bodies on every endpoint: never a 5xx, never a hang, always the JSON error shape', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ROUTES), body, headers, async ([method, url], payload, h) => {
        await send(method, url, { 'content-type': h['content-type'] ?? 'application/json' }, method === 'GET' ? undefined : payload);
      }),
      { numRuns: 400 },
    );
  });

  it('random headers (Authorization, Cookie, CSRF, Origin, Content-Type) on every endpoint: never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ROUTES), headers, fc.option(jsonText, { nil: undefined }), async ([method, url], h, payload) => {
        await send(method, url, h, method === 'GET' ? undefined : payload);
      }),
      { numRuns: 400 },
    );
  });

  it('afterwards: no prototype was polluted, the store holds only what succeeded, and a known user still signs in', async () => {
    assert.ok(answered >= 700, `only ${answered} requests were answered (${skipped} could not be built)`);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    assert.equal(Object.getOwnPropertyNames(Object.prototype).includes('polluted'), false);
    const users = await store.users.list();
    assert.equal(users.length, 1 + created);
    assert.ok(users.every((u) => typeof u.email === 'string' && u.email.includes('@') && u.passwordHash.startsWith('plain:')));
    const known = users.find((u) => u.email === 'known@example.com');
    assert.ok(known);
    const sessions = await store.sessions.listForUser(known.id);
    assert.ok(sessions.length <= sessionsMade);
    const login = await app.inject({ method: 'POST', url: '/auth/login', headers: { 'content-type': 'application/json' }, payload: { email: 'known@example.com', password: 'known password', mode: 'token' } });
    assert.equal(login.statusCode, 200, login.body);
    const me = await app.inject({ url: '/auth/me', headers: { authorization: `Bearer ${login.json<{ access_token: string }>().access_token}` } });
    assert.equal(me.statusCode, 200, me.body);
  });
});
