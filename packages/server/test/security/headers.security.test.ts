/**
 * Response-header rules of the auth server, one test per rule, over every kind of response
 * (success, token, error, 404, preflight): nosniff, no framing, no referrer, a CSP that allows
 * nothing, no wildcard CORS with credentials, and `Cache-Control: no-store` on every token response.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { registerClient } from '../../src/index.js';
import { basic, form, FORM_HEADERS, JSON_HEADERS, loginCookie, loginToken, makeServer, PASSWORD, refreshRequest, signup, type TestServer } from '../helpers.js';

describe('security: response headers of the auth server', () => {
  let s: TestServer;
  let responses: Array<[string, LightMyRequestResponse]>;
  let tokenResponses: Array<[string, LightMyRequestResponse]>;

  before(async () => {
    s = await makeServer({ corsOrigins: ['https://app.example.com'] });
    await signup(s.app);
    const { client, secret } = await registerClient(s.store.clients, { id: 'reports', name: 'Reports', scopes: 'orders:read', audiences: ['shop-api'] }, Date.now());
    const cookie = await loginCookie(s.app);
    const token = await loginToken(s.app);
    const inject = (label: string, opts: InjectOptions) => s.app.inject(opts).then((r) => [label, r] as [string, LightMyRequestResponse]);
    tokenResponses = await Promise.all([
      Promise.resolve(['login (cookie)', cookie.res] as [string, LightMyRequestResponse]),
      inject('login (token)', { method: 'POST', url: '/auth/login', headers: JSON_HEADERS, payload: { email: 'alice@example.com', password: PASSWORD, mode: 'token' } }),
      inject('refresh (cookie)', refreshRequest(cookie)),
      inject('refresh (token)', { method: 'POST', url: '/auth/refresh', headers: JSON_HEADERS, payload: { refresh_token: token.refresh_token } }),
      inject('client credentials', { method: 'POST', url: '/oauth/token', headers: { ...FORM_HEADERS, authorization: basic(client.id, secret) }, payload: form({ grant_type: 'client_credentials' }) }),
      inject('introspection', { method: 'POST', url: '/oauth/introspect', headers: { ...FORM_HEADERS, authorization: basic(client.id, secret) }, payload: form({ token: token.access_token }) }),
      inject('me', { url: '/auth/me', headers: { authorization: `Bearer ${token.access_token}` } }),
    ]);
    for (const [label, r] of tokenResponses) assert.equal(r.statusCode, 200, `${label}: ${r.body}`);
    responses = [
      ...tokenResponses,
      await inject('jwks', { url: '/.well-known/jwks.json' }),
      await inject('metadata', { url: '/.well-known/oauth-authorization-server' }),
      await inject('healthz', { url: '/healthz' }),
      await inject('401', { url: '/auth/me' }),
      await inject('400', { method: 'POST', url: '/auth/login', headers: JSON_HEADERS, payload: '{' }),
      await inject('415', { method: 'POST', url: '/auth/login', headers: { 'content-type': 'text/plain' }, payload: 'x' }),
      await inject('404', { url: '/nope' }),
      await inject('invalid_client', { method: 'POST', url: '/oauth/token', headers: { ...FORM_HEADERS, authorization: basic('reports', 'wrong') }, payload: form({ grant_type: 'client_credentials' }) }),
      await inject('preflight', { method: 'OPTIONS', url: '/auth/login', headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' } }),
      await inject('foreign preflight', { method: 'OPTIONS', url: '/auth/login', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } }),
    ];
  });
  after(async () => s.close());

  it('X-Content-Type-Options: nosniff on every response', () => {
    for (const [label, r] of responses) assert.equal(r.headers['x-content-type-options'], 'nosniff', label);
  });

  it('no framing: CSP frame-ancestors \'none\' and X-Frame-Options: DENY on every response', () => {
    for (const [label, r] of responses) {
      assert.match(String(r.headers['content-security-policy']), /(^|;\s*)frame-ancestors 'none'(;|$)/, label);
      assert.equal(r.headers['x-frame-options'], 'DENY', label);
    }
  });

  it('a CSP that allows nothing to load or run (JSON only): default-src \'none\'', () => {
    for (const [label, r] of responses) assert.match(String(r.headers['content-security-policy']), /^default-src 'none'(;|$)/, label);
  });

  it('Referrer-Policy: no-referrer on every response', () => {
    for (const [label, r] of responses) assert.equal(r.headers['referrer-policy'], 'no-referrer', label);
  });

  it('Cache-Control: no-store on every token response (RFC 6749 §5.1) and every error', () => {
    for (const [label, r] of [...tokenResponses, ...responses.filter(([, r]) => r.statusCode >= 400)]) {
      assert.match(String(r.headers['cache-control']), /\bno-store\b/, label);
    }
  });

  it('CORS: never a wildcard; credentials only together with one listed origin', () => {
    for (const [label, r] of responses) {
      const acao = r.headers['access-control-allow-origin'];
      assert.notEqual(acao, '*', label);
      if (r.headers['access-control-allow-credentials'] !== undefined) assert.equal(acao, 'https://app.example.com', label);
    }
    const foreign = responses.find(([label]) => label === 'foreign preflight')?.[1];
    assert.equal(foreign?.headers['access-control-allow-origin'], undefined);
    assert.equal(foreign?.headers['access-control-allow-credentials'], undefined);
  });
});
