import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { JSONWebKeySet } from 'jose';
import { forgedTokens, type ForgedToken } from './forgeries.js';
import { sendRequest, startJwksServer, unreachableUrl, type JwksServer, type TestResponse } from './http.js';
import { createTestIssuer, type TestIssuer } from './issuer.js';
import type { TestAlgorithm } from './keys.js';
import type { MakeAttackTarget } from './attack-suite.js';

/** The verifier options the suite hands to an adapter (a subset of `@latchkey/verify`'s). */
export interface SuiteVerifierOptions {
  issuer: string;
  audience: string;
  jwksUri?: string;
  jwks?: JSONWebKeySet;
  algorithms?: TestAlgorithm[];
  trustedOrigins?: string[];
  jwksTimeoutMs?: number;
  /** Clock, epoch ms (the attack suite freezes it to test time boundaries to the second). */
  now?: () => number;
}

/** A running app under test. */
export interface AdapterApp {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  /** How many times a protected handler ran. */
  handlerCalls(): number;
  close(): Promise<void>;
}

/**
 * Builds an app whose routes are: `GET /protected`, `POST /protected` (auth required),
 * `GET /scoped` (auth plus scope `cart:read`) and `GET /user` (auth with `requireUser: true`), each
 * answering `200 {"sub": <principal.subject>}` and counting its calls.
 */
export type MakeAdapterApp = (input: { verifierOptions: SuiteVerifierOptions }) => Promise<AdapterApp>;

const TRUSTED_ORIGIN = 'http://shop.localhost:8080';
const COOKIE = '__Host-lk_at';

function assertErrorBody(res: TestResponse, status: number, code: string): void {
  assert.equal(res.status, status, `status for ${code}: ${res.text}`);
  const body = res.json as { error?: unknown; error_description?: unknown } | undefined;
  assert.equal(body?.error, code);
  assert.equal(typeof body?.error_description, 'string');
}

/**
 * The conformance suite every Latchkey adapter must pass, over real HTTP: valid bearer and cookie
 * credentials, CSRF and cross-site refusals, every forged-token class, scopes, and an unreachable
 * JWKS — asserting on every failure that the protected handler never ran.
 *
 * @example
 * ```ts
 * runAdapterSuite('express', async ({ verifierOptions }) => { ...start app...; return { url, handlerCalls, close } });
 * ```
 */
export function runAdapterSuite(name: string, makeApp: MakeAdapterApp): void {
  describe(`adapter conformance: ${name}`, () => {
    let issuer: TestIssuer;
    let jwksServer: JwksServer;
    let app: AdapterApp;
    let forged: ForgedToken[];

    before(async () => {
      issuer = await createTestIssuer({ issuer: 'http://localhost:8080', audience: 'shop-api' });
      jwksServer = await startJwksServer(issuer.jwks);
      forged = await forgedTokens(issuer);
      app = await makeApp({
        verifierOptions: {
          issuer: issuer.issuer,
          audience: issuer.audience,
          jwksUri: jwksServer.url,
          trustedOrigins: [TRUSTED_ORIGIN],
        },
      });
    });
    after(async () => {
      await app?.close();
      await jwksServer?.close();
    });

    /** Sends a request that must fail, and proves the handler did not run. */
    async function refused(path: string, init: Parameters<typeof sendRequest>[1]): Promise<TestResponse> {
      const before = app.handlerCalls();
      const res = await sendRequest(app.url + path, init);
      assert.equal(app.handlerCalls(), before, 'the protected handler must not run');
      return res;
    }

    async function cookieToken(csrf: string): Promise<string> {
      return issuer.mint({ csrf, sub: 'cookie-user' });
    }

    it('valid Bearer token → 200 with the principal', async () => {
      const token = await issuer.mint({ sub: 'user-42' });
      for (const method of ['GET', 'POST']) {
        const before = app.handlerCalls();
        const res = await sendRequest(`${app.url}/protected`, { method, headers: { authorization: `Bearer ${token}` } });
        assert.equal(res.status, 200, res.text);
        assert.deepEqual(res.json, { sub: 'user-42' });
        assert.equal(app.handlerCalls(), before + 1);
      }
    });

    it('Bearer scheme is case-insensitive (RFC 6750)', async () => {
      const token = await issuer.mint();
      const res = await sendRequest(`${app.url}/protected`, { headers: { authorization: `bearer ${token}` } });
      assert.equal(res.status, 200, res.text);
    });

    it('valid cookie on GET → 200 without a CSRF header', async () => {
      const res = await sendRequest(`${app.url}/protected`, { headers: { cookie: `theme=dark; ${COOKIE}=${await cookieToken('c1')}` } });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.json, { sub: 'cookie-user' });
    });

    it('cookie POST with the matching X-CSRF-Token → 200', async () => {
      const res = await sendRequest(`${app.url}/protected`, {
        method: 'POST',
        headers: { cookie: `${COOKIE}=${await cookieToken('csrf-right')}`, 'x-csrf-token': 'csrf-right', origin: TRUSTED_ORIGIN, 'sec-fetch-site': 'same-origin' },
      });
      assert.equal(res.status, 200, res.text);
    });

    it('csrf: cookie POST without X-CSRF-Token → 403 csrf_token_missing', async () => {
      const res = await refused('/protected', { method: 'POST', headers: { cookie: `${COOKIE}=${await cookieToken('x')}` } });
      assertErrorBody(res, 403, 'csrf_token_missing');
    });

    it('csrf: cookie POST with a wrong X-CSRF-Token → 403 csrf_token_mismatch', async () => {
      const res = await refused('/protected', {
        method: 'POST',
        headers: { cookie: `${COOKIE}=${await cookieToken('csrf-right')}`, 'x-csrf-token': 'csrf-wrong' },
      });
      assertErrorBody(res, 403, 'csrf_token_mismatch');
    });

    it('csrf: a cookie token without a csrf claim never matches', async () => {
      const token = await issuer.mint({ csrf: undefined });
      const res = await refused('/protected', { method: 'POST', headers: { cookie: `${COOKIE}=${token}`, 'x-csrf-token': 'anything' } });
      assertErrorBody(res, 403, 'csrf_token_mismatch');
    });

    for (const [label, headers] of [
      ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
      ['Origin: null', { origin: 'null' }],
      ['a foreign Origin', { origin: 'http://attacker.example' }],
    ] as const) {
      it(`cross-site: cookie POST with ${label} → 403 cross_site_request`, async () => {
        const res = await refused('/protected', {
          method: 'POST',
          headers: { cookie: `${COOKIE}=${await cookieToken('ok')}`, 'x-csrf-token': 'ok', ...headers },
        });
        assertErrorBody(res, 403, 'cross_site_request');
      });
    }

    it('no credentials → 401 with exactly `Bearer realm="latchkey"`', async () => {
      const res = await refused('/protected', {});
      assertErrorBody(res, 401, 'missing_credentials');
      assert.equal(res.headers['www-authenticate'], 'Bearer realm="latchkey"');
    });

    it('a non-Bearer Authorization scheme is refused (400 invalid_request), not ignored', async () => {
      const res = await refused('/protected', {
        headers: { authorization: 'Basic dXNlcjpwYXNz', cookie: `${COOKIE}=${await cookieToken('c')}` },
      });
      assertErrorBody(res, 400, 'invalid_request');
      assert.match(String(res.headers['www-authenticate']), /^Bearer realm="latchkey", error="invalid_request"/);
    });

    it('a duplicated access-token cookie is refused', async () => {
      const token = await cookieToken('c');
      const res = await refused('/protected', { headers: { cookie: `${COOKIE}=${token}; ${COOKIE}=${token}` } });
      assertErrorBody(res, 400, 'invalid_request');
    });

    it('every forged token class → 401 invalid_token, as Bearer and as cookie', async () => {
      assert.ok(forged.length > 20);
      for (const f of forged) {
        const variants: Array<Record<string, string>> = [{ authorization: `Bearer ${f.token}` }, { cookie: `${COOKIE}=${f.token}` }];
        for (const headers of variants) {
          const res = await refused('/protected', { headers });
          assert.equal(res.status, 401, `${f.name}: ${res.text}`);
          assert.equal((res.json as { error?: unknown }).error, f.code, f.name);
          assert.match(String(res.headers['www-authenticate']), /^Bearer realm="latchkey", error="invalid_token", error_description="[^"]+"$/, f.name);
        }
      }
    });

    it('scope: a token without cart:read → 403 insufficient_scope; with it → 200', async () => {
      const res = await refused('/scoped', { headers: { authorization: `Bearer ${await issuer.mint({ scope: 'profile:read' })}` } });
      assertErrorBody(res, 403, 'insufficient_scope');
      assert.match(String(res.headers['www-authenticate']), /^Bearer realm="latchkey", error="insufficient_scope", .*scope="cart:read"$/);
      const ok = await sendRequest(`${app.url}/scoped`, { headers: { authorization: `Bearer ${await issuer.mint({ scope: 'cart:read' })}` } });
      assert.equal(ok.status, 200, ok.text);
    });

    it('requireUser: a machine (client-credentials) token → 403 user_session_required; a user token → 200', async () => {
      const machine = await issuer.mint({ sub: 'reporting-client', client_id: 'reporting-client', sid: undefined, csrf: undefined });
      const res = await refused('/user', { headers: { authorization: `Bearer ${machine}` } });
      assertErrorBody(res, 403, 'user_session_required');
      const ok = await sendRequest(`${app.url}/user`, { headers: { authorization: `Bearer ${await issuer.mint({ sid: 's-1' })}` } });
      assert.equal(ok.status, 200, ok.text);
      // Without the option the same machine token is fine (service-to-service routes).
      const plain = await sendRequest(`${app.url}/protected`, { headers: { authorization: `Bearer ${machine}` } });
      assert.equal(plain.status, 200, plain.text);
    });

    it('JWKS unreachable → 503 keys_unavailable, handler never runs', async () => {
      const down = await makeApp({
        verifierOptions: { issuer: issuer.issuer, audience: issuer.audience, jwksUri: await unreachableUrl(), jwksTimeoutMs: 2000 },
      });
      try {
        const res = await sendRequest(`${down.url}/protected`, { headers: { authorization: `Bearer ${await issuer.mint()}` } });
        assertErrorBody(res, 503, 'keys_unavailable');
        assert.equal(res.headers['www-authenticate'], undefined);
        assert.equal(down.handlerCalls(), 0);
      } finally {
        await down.close();
      }
    });
  });
}

/**
 * Turns an adapter app (as {@link runAdapterSuite} builds it) into an attack-suite target on its
 * `/protected` routes: Bearer attacks `POST`, cookie attacks `GET`, "handler ran" from the app's count.
 *
 * @example
 * ```ts
 * runAttackSuite('express', adapterAttackTarget(makeApp), { configurable: true });
 * ```
 */
export function adapterAttackTarget(makeApp: MakeAdapterApp): MakeAttackTarget {
  return async ({ verifierOptions }) => {
    const app = await makeApp({ verifierOptions });
    return {
      honoursClock: true,
      async send(request) {
        const before = app.handlerCalls();
        const res = await sendRequest(`${app.url}/protected`, { method: request.method, headers: { ...request.headers } });
        const code = (res.json as { error?: unknown } | undefined)?.error;
        return { status: res.status, code: typeof code === 'string' ? code : undefined, handlerRan: app.handlerCalls() !== before };
      },
      close: () => app.close(),
    };
  };
}
