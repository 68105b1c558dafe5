import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { createVerifier } from '@latchkey/verify';
import { registerClient, rotateClientSecret } from '../src/index.js';
import {
  assertJsonError,
  basic,
  form,
  FORM_HEADERS,
  JSON_HEADERS,
  loginCookie,
  loginToken,
  makeServer,
  signup,
  type TestServer,
} from './helpers.js';

const ISSUER = 'http://localhost:8080';
let clock = Date.now();
let s: TestServer;
let reco: { id: string; secret: string };
let billing: { id: string; secret: string };

function token(body: string, headers: Record<string, string> = {}) {
  return s.app.inject({ method: 'POST', url: '/oauth/token', headers: { ...FORM_HEADERS, ...headers }, payload: body });
}
function cc(params: Record<string, string | string[]> = {}, who = reco) {
  return token(form({ grant_type: 'client_credentials', ...params }), { authorization: basic(who.id, who.secret) });
}
function post(url: string, params: Record<string, string | string[]>, who?: { id: string; secret: string }) {
  return s.app.inject({
    method: 'POST',
    url,
    headers: { ...FORM_HEADERS, ...(who === undefined ? {} : { authorization: basic(who.id, who.secret) }) },
    payload: form(params),
  });
}
async function ccToken(params: Record<string, string | string[]> = {}, who = reco): Promise<string> {
  const res = await cc(params, who);
  assert.equal(res.statusCode, 200, res.body);
  return res.json<{ access_token: string }>().access_token;
}
function assertInvalidClient(res: Awaited<ReturnType<typeof token>>): void {
  assertJsonError(res, 401, 'invalid_client');
  assert.equal(res.headers['www-authenticate'], 'Basic realm="latchkey"');
  assert.equal(res.headers['cache-control'], 'no-store');
}

before(async () => {
  s = await makeServer({}, () => clock);
  await signup(s.app);
  const r = await registerClient(s.store.clients, { id: 'recommendation', name: 'Recommendation', scopes: 'cart:read orders:read', audiences: ['shop-api', 'reports-api'] }, clock);
  reco = { id: r.client.id, secret: r.secret };
  const b = await registerClient(s.store.clients, { name: 'Billing', scopes: 'invoices:write', audiences: ['billing-api'] }, clock);
  billing = { id: b.client.id, secret: b.secret };
});
after(async () => s.close());

describe('POST /oauth/token grant_type=client_credentials', () => {
  it('client_secret_basic → 200 Bearer token with every allowed scope, the default audience, no refresh token, no-store', async () => {
    const res = await cc();
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.equal(res.headers['pragma'], 'no-cache');
    const body = res.json<Record<string, unknown>>();
    assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'scope', 'token_type']);
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, 600);
    assert.equal(body.scope, 'cart:read orders:read');
    const jwt = String(body.access_token);
    assert.deepEqual(Object.keys(decodeProtectedHeader(jwt)).sort(), ['alg', 'kid', 'typ']);
    assert.equal(decodeProtectedHeader(jwt).typ, 'at+jwt');
    const claims = decodeJwt(jwt);
    assert.equal(claims.sub, 'recommendation');
    assert.equal(claims.client_id, 'recommendation');
    assert.equal(claims.scope, 'cart:read orders:read');
    assert.equal(claims.aud, 'shop-api');
    assert.equal(claims.iss, ISSUER);
    assert.equal('sid' in claims, false, 'machine tokens carry no sid');
    assert.equal('csrf' in claims, false, 'machine tokens carry no csrf');
    assert.equal(Number(claims.exp) - Number(claims.iat), 600);
  });

  it('the machine token verifies with @latchkey/verify as a Bearer principal without a session', async () => {
    const jwks = (await s.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json();
    const verifier = createVerifier({ issuer: ISSUER, audience: 'shop-api', jwks, now: () => clock });
    const principal = await verifier.authenticate({ method: 'GET', headers: { authorization: `Bearer ${await ccToken({ scope: 'cart:read' })}` } });
    assert.equal(principal.subject, 'recommendation');
    assert.equal(principal.clientId, 'recommendation');
    assert.equal(principal.sessionId, undefined);
    assert.deepEqual(principal.scopes, ['cart:read']);
    assert.equal(principal.credential, 'bearer');
  });

  it('client_secret_post works the same way', async () => {
    const res = await token(form({ grant_type: 'client_credentials', client_id: reco.id, client_secret: reco.secret, scope: 'orders:read' }));
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json<{ scope: string }>().scope, 'orders:read');
  });

  it('scope: a subset is granted exactly (duplicates folded); anything beyond or malformed → 400 invalid_scope', async () => {
    assert.equal(decodeJwt(await ccToken({ scope: 'orders:read cart:read orders:read' })).scope, 'orders:read cart:read');
    for (const scope of ['cart:write', 'cart:read admin', 'cart:read  orders:read', ' cart:read', 'cart"read', 'cart:read\torders:read', 'x'.repeat(200)]) {
      assertJsonError(await cc({ scope }), 400, 'invalid_scope');
    }
  });

  it('resource (RFC 8707) picks one of the client\'s audiences; another or several → 400 invalid_target', async () => {
    assert.equal(decodeJwt(await ccToken({ resource: 'reports-api' })).aud, 'reports-api');
    assert.equal(decodeJwt(await ccToken({ resource: 'shop-api' })).aud, 'shop-api');
    assertJsonError(await cc({ resource: 'billing-api' }), 400, 'invalid_target');
    assertJsonError(await cc({ resource: ['shop-api', 'reports-api'] }), 400, 'invalid_target');
    assert.equal(decodeJwt(await ccToken({}, billing)).aud, 'billing-api');
  });

  it('invalid_client (401, WWW-Authenticate: Basic): wrong secret, unknown client, no credentials, id without secret, malformed Basic, other schemes', async () => {
    assertInvalidClient(await cc({}, { id: reco.id, secret: billing.secret }));
    assertInvalidClient(await cc({}, { id: 'nobody', secret: reco.secret }));
    assertInvalidClient(await token(form({ grant_type: 'client_credentials' })));
    assertInvalidClient(await token(form({ grant_type: 'client_credentials', client_id: reco.id })));
    assertInvalidClient(await token(form({ grant_type: 'client_credentials', client_secret: reco.secret })));
    assertInvalidClient(await token(form({ grant_type: 'client_credentials', client_id: reco.id, client_secret: 'wrong' })));
    for (const authorization of [
      'Basic',
      'Basic !!!!',
      `Basic ${Buffer.from('no-colon').toString('base64')}`,
      `Basic ${Buffer.from(`:${reco.secret}`).toString('base64')}`,
      `Basic ${Buffer.from(`${reco.id}:`).toString('base64')}`,
      `Basic ${Buffer.from(`${reco.id}:%zz`).toString('base64')}`,
      `Bearer ${reco.secret}`,
      `Basic ${'A'.repeat(5000)}`,
    ]) {
      assertInvalidClient(await token(form({ grant_type: 'client_credentials' }), { authorization }));
    }
  });

  it('a disabled, rotated-away or deleted client cannot get tokens', async () => {
    const tmp = await registerClient(s.store.clients, { name: 'Temp', scopes: 'a', audiences: ['shop-api'] }, clock);
    const who = { id: tmp.client.id, secret: tmp.secret };
    assert.equal((await cc({}, who)).statusCode, 200);
    await s.store.clients.setDisabled(who.id, true);
    assertInvalidClient(await cc({}, who));
    await s.store.clients.setDisabled(who.id, false);
    const rotated = await rotateClientSecret(s.store.clients, who.id, clock);
    assert.ok(rotated);
    assertInvalidClient(await cc({}, who));
    assert.equal((await cc({}, { id: who.id, secret: rotated.secret })).statusCode, 200);
    await s.store.clients.delete(who.id);
    assertInvalidClient(await cc({}, { id: who.id, secret: rotated.secret }));
  });

  it('two authentication methods at once, a repeated parameter, or a mismatched client_id → 400 invalid_request', async () => {
    const auth = { authorization: basic(reco.id, reco.secret) };
    assertJsonError(await token(form({ grant_type: 'client_credentials', client_secret: reco.secret }), auth), 400, 'invalid_request');
    assertJsonError(await token(form({ grant_type: 'client_credentials', client_id: billing.id }), auth), 400, 'invalid_request');
    assertJsonError(await token(form({ grant_type: ['client_credentials', 'client_credentials'] }), auth), 400, 'invalid_request');
    assertJsonError(await token(form({ grant_type: 'client_credentials', scope: ['cart:read', 'orders:read'] }), auth), 400, 'invalid_request');
    // The same id in the body and the header is fine.
    assert.equal((await token(form({ grant_type: 'client_credentials', client_id: reco.id }), auth)).statusCode, 200);
  });

  it('grant_type missing → invalid_request; unknown → unsupported_grant_type; JSON body → 415; no body → invalid_request', async () => {
    const auth = { authorization: basic(reco.id, reco.secret) };
    assertJsonError(await token(form({ scope: 'cart:read' }), auth), 400, 'invalid_request');
    for (const grant_type of ['password', 'authorization_code', 'urn:ietf:params:oauth:grant-type:jwt-bearer', 'CLIENT_CREDENTIALS']) {
      assertJsonError(await token(form({ grant_type }), auth), 400, 'unsupported_grant_type');
    }
    const json = await s.app.inject({ method: 'POST', url: '/oauth/token', headers: { ...JSON_HEADERS, ...auth }, payload: { grant_type: 'client_credentials' } });
    assertJsonError(json, 415, 'unsupported_media_type');
    assertJsonError(await s.app.inject({ method: 'POST', url: '/oauth/token', headers: auth }), 400, 'invalid_request');
    const withCharset = await token(form({ grant_type: 'client_credentials' }), { ...auth, 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' });
    assert.equal(withCharset.statusCode, 200, withCharset.body);
  });
});

describe('POST /oauth/token grant_type=refresh_token (token mode)', () => {
  it('rotates the refresh token; the new access token works; the old refresh token is then reuse → invalid_grant and the session is revoked', async () => {
    const first = await loginToken(s.app);
    const res = await token(form({ grant_type: 'refresh_token', refresh_token: first.refresh_token, client_id: 'latchkey-native' }));
    assert.equal(res.statusCode, 200, res.body);
    const next = res.json<{ access_token: string; refresh_token: string; token_type: string; scope: string; expires_in: number }>();
    assert.equal(next.token_type, 'Bearer');
    assert.equal(next.scope, 'profile');
    assert.notEqual(next.refresh_token, first.refresh_token);
    assert.equal(decodeJwt(next.access_token).sid, decodeJwt(first.access_token).sid);
    const me = await s.app.inject({ method: 'GET', url: '/auth/me', headers: { authorization: `Bearer ${next.access_token}` } });
    assert.equal(me.statusCode, 200);

    // Inside the grace window (concurrent clients) the same token answers with the same successor…
    const concurrent = await token(form({ grant_type: 'refresh_token', refresh_token: first.refresh_token }));
    assert.equal(concurrent.statusCode, 200);
    assert.equal(concurrent.json<{ refresh_token: string }>().refresh_token, next.refresh_token);
    // …after it, replaying the rotated token is reuse.
    clock += 10_001;
    const replay = await token(form({ grant_type: 'refresh_token', refresh_token: first.refresh_token }));
    assertJsonError(replay, 400, 'invalid_grant');
    const session = await s.store.sessions.get(String(decodeJwt(first.access_token).sid));
    assert.equal(session?.revokeReason, 'refresh_reuse_detected');
    assertJsonError(await token(form({ grant_type: 'refresh_token', refresh_token: next.refresh_token })), 400, 'invalid_grant');
  });

  it('shares the session rules with POST /auth/refresh: a token rotated there is reuse here', async () => {
    const first = await loginToken(s.app);
    const viaAuth = await s.app.inject({ method: 'POST', url: '/auth/refresh', headers: JSON_HEADERS, payload: { refresh_token: first.refresh_token } });
    assert.equal(viaAuth.statusCode, 200);
    clock += 10_001; // past the grace window
    assertJsonError(await token(form({ grant_type: 'refresh_token', refresh_token: first.refresh_token })), 400, 'invalid_grant');
    assertJsonError(
      await s.app.inject({ method: 'POST', url: '/auth/refresh', headers: JSON_HEADERS, payload: { refresh_token: viaAuth.json<{ refresh_token: string }>().refresh_token } }),
      401,
      'invalid_refresh_token',
    );
  });

  it('scope may narrow but not widen; a cookie-mode token, garbage, a missing token or a registered client → refused', async () => {
    const t = await loginToken(s.app);
    assertJsonError(await token(form({ grant_type: 'refresh_token', refresh_token: t.refresh_token, scope: 'profile admin' })), 400, 'invalid_scope');
    const narrowed = await token(form({ grant_type: 'refresh_token', refresh_token: t.refresh_token, scope: 'profile' }));
    assert.equal(narrowed.statusCode, 200);
    const cookie = await loginCookie(s.app);
    assertJsonError(await token(form({ grant_type: 'refresh_token', refresh_token: cookie.rt })), 400, 'invalid_grant');
    assertJsonError(await token(form({ grant_type: 'refresh_token', refresh_token: 'x'.repeat(66) })), 400, 'invalid_grant');
    assertJsonError(await token(form({ grant_type: 'refresh_token' })), 400, 'invalid_request');
    const t2 = await loginToken(s.app);
    assertJsonError(await token(form({ grant_type: 'refresh_token', refresh_token: t2.refresh_token }), { authorization: basic(reco.id, reco.secret) }), 400, 'invalid_grant');
    assertInvalidClient(await token(form({ grant_type: 'refresh_token', refresh_token: t2.refresh_token, client_id: 'latchkey-web' })));
    // The refused attempts did not consume it.
    assert.equal((await token(form({ grant_type: 'refresh_token', refresh_token: t2.refresh_token }))).statusCode, 200);
  });
});

describe('POST /oauth/revoke (RFC 7009)', () => {
  it('a token-mode refresh token revokes its session, without client authentication (public client)', async () => {
    const t = await loginToken(s.app);
    const res = await post('/oauth/revoke', { token: t.refresh_token, token_type_hint: 'refresh_token' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.equal((await s.store.sessions.get(String(decodeJwt(t.access_token).sid)))?.revokeReason, 'oauth_revoke');
    assertJsonError(await token(form({ grant_type: 'refresh_token', refresh_token: t.refresh_token })), 400, 'invalid_grant');
    assertJsonError(await s.app.inject({ method: 'GET', url: '/auth/me', headers: { authorization: `Bearer ${t.access_token}` } }), 401, 'invalid_token');
  });

  it('an access token with sid revokes its session (cookie or token mode)', async () => {
    const c = await loginCookie(s.app);
    assert.equal((await post('/oauth/revoke', { token: c.at, token_type_hint: 'access_token' })).statusCode, 200);
    assertJsonError(await s.app.inject({ method: 'GET', url: '/auth/me', headers: { cookie: `__Host-lk_at=${c.at}` } }), 401, 'invalid_token');
  });

  it('a machine token is accepted with 200 (self-contained, it expires); garbage and unknown tokens are 200 too', async () => {
    assert.equal((await post('/oauth/revoke', { token: await ccToken() }, reco)).statusCode, 200);
    assert.equal((await post('/oauth/revoke', { token: await ccToken() })).statusCode, 200);
    for (const t of ['garbage', 'a.b.c', 'x'.repeat(66), `${'A'.repeat(22)}.${'B'.repeat(43)}`]) {
      assert.equal((await post('/oauth/revoke', { token: t })).statusCode, 200, t);
    }
  });

  it('missing token → 400 invalid_request; wrong credentials → 401 invalid_client; another client\'s token → 400 invalid_request and nothing revoked', async () => {
    assertJsonError(await post('/oauth/revoke', {}), 400, 'invalid_request');
    assertInvalidClient(await post('/oauth/revoke', { token: 'x' }, { id: reco.id, secret: 'wrong' }));
    assertJsonError(await post('/oauth/revoke', { token: await ccToken() }, billing), 400, 'invalid_request');
    const t = await loginToken(s.app);
    assertJsonError(await post('/oauth/revoke', { token: t.refresh_token }, reco), 400, 'invalid_request');
    assert.equal((await s.store.sessions.get(String(decodeJwt(t.access_token).sid)))?.revokedAt, null);
  });
});

describe('POST /oauth/introspect (RFC 7662)', () => {
  it('needs client authentication: none, a public client or wrong credentials → 401 invalid_client', async () => {
    const jwt = await ccToken();
    assertInvalidClient(await post('/oauth/introspect', { token: jwt }));
    assertInvalidClient(await post('/oauth/introspect', { token: jwt, client_id: 'latchkey-native' }));
    assertInvalidClient(await post('/oauth/introspect', { token: jwt }, { id: reco.id, secret: billing.secret }));
    assertJsonError(await post('/oauth/introspect', {}, reco), 400, 'invalid_request');
  });

  it('an active machine token: the RFC 7662 members, nothing else', async () => {
    const jwt = await ccToken({ scope: 'cart:read' });
    const res = await post('/oauth/introspect', { token: jwt }, reco);
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['cache-control'], 'no-store');
    const claims = decodeJwt(jwt);
    assert.deepEqual(res.json(), {
      active: true,
      scope: 'cart:read',
      client_id: 'recommendation',
      token_type: 'Bearer',
      sub: 'recommendation',
      aud: 'shop-api',
      iss: ISSUER,
      exp: claims.exp,
      iat: claims.iat,
      jti: claims.jti,
    });
  });

  it('a live user token is active for a client of its audience, without the csrf claim; after logout it is exactly {"active":false}', async () => {
    const c = await loginCookie(s.app);
    const res = await post('/oauth/introspect', { token: c.at }, reco);
    const body = res.json<Record<string, unknown>>();
    assert.equal(body.active, true);
    assert.equal(body.sub, decodeJwt(c.at).sub);
    assert.equal(body.sid, decodeJwt(c.at).sid);
    assert.equal('csrf' in body, false);
    await s.app.inject({ method: 'POST', url: '/auth/logout', headers: { cookie: `__Secure-lk_rt=${c.rt}`, 'x-csrf-token': c.csrf } });
    const after = await post('/oauth/introspect', { token: c.at }, reco);
    assert.equal(after.body, '{"active":false}');
  });

  it('inactive is exactly {"active":false}: garbage, refresh tokens, expired, tampered, not visible to the caller, disabled client', async () => {
    const inactive = async (t: string, who = reco) => {
      const res = await post('/oauth/introspect', { token: t }, who);
      assert.equal(res.statusCode, 200);
      assert.equal(res.body, '{"active":false}', t.slice(0, 40));
    };
    await inactive('garbage');
    await inactive((await loginToken(s.app)).refresh_token);
    const saved = clock;
    clock = saved - 3600_000;
    const expired = await ccToken();
    clock = saved;
    await inactive(expired);
    const good = await ccToken();
    const [h, p, sig] = good.split('.') as [string, string, string];
    await inactive(`${h}.${p}.${sig.startsWith('A') ? 'B' : 'A'}${sig.slice(1)}`);
    // billing's audiences do not include shop-api and it is not the token's client.
    await inactive(good, billing);
    // A client sees its own tokens whatever their audience.
    assert.equal((await post('/oauth/introspect', { token: await ccToken({ resource: 'reports-api' }) }, reco)).json<{ active: boolean }>().active, true);
    const tmp = await registerClient(s.store.clients, { name: 'Temp2', scopes: 'a', audiences: ['shop-api'] }, clock);
    const tmpToken = await ccToken({}, { id: tmp.client.id, secret: tmp.secret });
    await s.store.clients.setDisabled(tmp.client.id, true);
    await inactive(tmpToken);
  });
});

describe('GET /.well-known/oauth-authorization-server (RFC 8414)', () => {
  it('lists exactly the endpoints, grants, auth methods and algorithms that exist, and every endpoint answers', async () => {
    const m = (await s.app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' })).json<Record<string, unknown>>();
    assert.deepEqual(m, {
      issuer: ISSUER,
      jwks_uri: `${ISSUER}/.well-known/jwks.json`,
      token_endpoint: `${ISSUER}/oauth/token`,
      revocation_endpoint: `${ISSUER}/oauth/revoke`,
      introspection_endpoint: `${ISSUER}/oauth/introspect`,
      response_types_supported: [],
      grant_types_supported: ['client_credentials', 'refresh_token'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      scopes_supported: ['profile'],
      access_token_signing_alg_values_supported: ['ES256'],
    });
    for (const key of ['token_endpoint', 'revocation_endpoint', 'introspection_endpoint']) {
      const path = new URL(String((m as Record<string, unknown>)[key])).pathname;
      const res = await s.app.inject({ method: 'POST', url: path, headers: FORM_HEADERS, payload: '' });
      assert.notEqual(res.statusCode, 404, path);
    }
    const jwks = (await s.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json<{ keys: { alg: string }[] }>();
    assert.deepEqual([...new Set(jwks.keys.map((k) => k.alg))], m.access_token_signing_alg_values_supported);
  });
});
