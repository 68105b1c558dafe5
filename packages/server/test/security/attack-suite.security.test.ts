/**
 * The auth server's own verifiers under the shared attack suite, over real HTTP: `GET /auth/me`
 * (cookie or Bearer; must answer 401 invalid_token / 400 invalid_request and never the user) and
 * `POST /oauth/introspect` (must answer exactly {"active": false}). Tokens are forged with the server's
 * real signing key (read from its store), on the server's own clock, for a live session.
 */
import { keyPairFromPrivateJwk, createTestIssuer, runAttackSuite, sendRequest, type AttackTarget, type ExpectedRefusal, type TestIssuer } from '@latchkey/testkit';
import type { JWK } from 'jose';
import { registerClient } from '../../src/index.js';
import { basic, FORM_HEADERS, form, loginToken, makeServer, signup, type TestServer } from '../helpers.js';

interface Live {
  server: TestServer;
  url: string;
  signer: TestIssuer;
  sub: string;
  sid: string;
}

async function startLiveServer(now: () => number): Promise<Live> {
  const server = await makeServer({}, now);
  const user = await signup(server.app);
  const session = await loginToken(server.app);
  const sid = session.refresh_token.split('.')[0] ?? '';
  const row = (await server.store.keys.list()).find((k) => k.status === 'active');
  if (row === undefined) throw new Error('no active key');
  const key = await keyPairFromPrivateJwk(JSON.parse(row.privateJwk) as JWK);
  const signer = await createTestIssuer({ issuer: 'http://localhost:8080', audience: 'shop-api', key });
  const url = await server.app.listen({ port: 0, host: '127.0.0.1' });
  return { server, url, signer, sub: user.id, sid };
}

// The server answers one code for every token refusal (RFC 6750 invalid_token); a credential that
// cannot be read at all may also be invalid_request.
function serverExpected(code: string): readonly ExpectedRefusal[] {
  const invalidToken = { status: 401, code: 'invalid_token' };
  return code === 'invalid_request' ? [{ status: 400, code: 'invalid_request' }, invalidToken] : [invalidToken];
}

runAttackSuite('auth server GET /auth/me over HTTP', async ({ verifierOptions }) => {
  const live = await startLiveServer(verifierOptions.now);
  const target: AttackTarget = {
    issuer: live.signer,
    baseClaims: { sub: live.sub, sid: live.sid, client_id: 'latchkey-native', scope: 'profile', csrf: undefined },
    honoursClock: true,
    expected: serverExpected,
    async send(r) {
      const res = await sendRequest(`${live.url}/auth/me`, { headers: { ...r.headers } });
      const body = res.json as { error?: unknown; user?: unknown } | undefined;
      return { status: res.status, code: typeof body?.error === 'string' ? body.error : undefined, handlerRan: body?.user !== undefined };
    },
    close: () => live.server.close(),
  };
  return target;
});

runAttackSuite('auth server POST /oauth/introspect over HTTP', async ({ verifierOptions }) => {
  const live = await startLiveServer(verifierOptions.now);
  const { client, secret } = await registerClient(live.server.store.clients, { id: 'resource-server', name: 'Resource server', scopes: 'introspect', audiences: ['shop-api'] }, verifierOptions.now());
  const target: AttackTarget = {
    issuer: live.signer,
    baseClaims: { sub: live.sub, sid: live.sid, client_id: 'latchkey-native', scope: 'profile', csrf: undefined },
    honoursClock: true,
    // Introspection has no cookie; every refusal is exactly {"active": false} (RFC 7662 §2.2).
    deliveries: ['bearer'],
    expected: () => [{ status: 200, code: 'inactive' }],
    async send(r) {
      const res = await sendRequest(`${live.url}/oauth/introspect`, {
        method: 'POST',
        headers: { ...FORM_HEADERS, authorization: basic(client.id, secret) },
        body: form({ token: r.token }),
      });
      const body = res.json as { active?: unknown; error?: unknown } | undefined;
      const active = body?.active === true;
      const inactive = res.status === 200 && JSON.stringify(body) === '{"active":false}';
      return { status: res.status, code: inactive ? 'inactive' : typeof body?.error === 'string' ? body.error : undefined, handlerRan: active };
    },
    close: () => live.server.close(),
  };
  return target;
});
