import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  ConfigError,
  CsrfTokenMissingError,
  errorResponse,
  hasScopes,
  assertScopes,
  InsufficientScopeError,
  InvalidRequestError,
  KeysUnavailableError,
  MissingCredentialsError,
  TokenExpiredError,
} from '../src/index.js';

const json = 'application/json; charset=utf-8';

it('no credentials → 401 with a bare Bearer challenge (RFC 6750 §3)', () => {
  const r = errorResponse(new MissingCredentialsError());
  assert.equal(r.status, 401);
  assert.equal(r.headers['www-authenticate'], 'Bearer realm="latchkey"');
  assert.equal(r.headers['content-type'], json);
  assert.deepEqual(r.body, { error: 'missing_credentials', error_description: 'Authentication is required' });
});

it('token errors → 401 invalid_token with a description', () => {
  const r = errorResponse(new TokenExpiredError());
  assert.equal(r.status, 401);
  assert.equal(r.headers['www-authenticate'], 'Bearer realm="latchkey", error="invalid_token", error_description="The access token expired"');
  assert.deepEqual(r.body, { error: 'token_expired', error_description: 'The access token expired' });
});

it('malformed requests → 400 invalid_request', () => {
  const r = errorResponse(new InvalidRequestError('The Authorization scheme must be Bearer'));
  assert.equal(r.status, 400);
  assert.equal(r.headers['www-authenticate'], 'Bearer realm="latchkey", error="invalid_request", error_description="The Authorization scheme must be Bearer"');
});

it('missing scope → 403 insufficient_scope naming the scope', () => {
  const r = errorResponse(new InsufficientScopeError(['cart:read', 'cart:write']));
  assert.equal(r.status, 403);
  assert.equal(
    r.headers['www-authenticate'],
    'Bearer realm="latchkey", error="insufficient_scope", error_description="The access token lacks a required scope", scope="cart:read cart:write"',
  );
  assert.equal(r.body.error, 'insufficient_scope');
});

it('CSRF → 403 without a challenge; keys unavailable → 503 without a challenge', () => {
  const csrf = errorResponse(new CsrfTokenMissingError());
  assert.equal(csrf.status, 403);
  assert.equal(csrf.headers['www-authenticate'], undefined);
  const keys = errorResponse(new KeysUnavailableError());
  assert.equal(keys.status, 503);
  assert.equal(keys.headers['www-authenticate'], undefined);
  assert.equal(keys.body.error, 'keys_unavailable');
});

it('quotes and control characters cannot break out of the challenge', () => {
  const r = errorResponse(new TokenExpiredError('bad "quote"\r\nX-Injected: 1\\'));
  assert.equal(r.headers['www-authenticate'], 'Bearer realm="latchkey", error="invalid_token", error_description="bad quoteX-Injected: 1"');
});

it('anything else → generic 500 revealing nothing', () => {
  for (const err of [new Error('secret detail'), 'string', null, new ConfigError('issuer is wrong')]) {
    const r = errorResponse(err);
    assert.equal(r.status, 500);
    assert.deepEqual(r.body, { error: 'internal_error', error_description: 'Internal server error' });
    assert.equal(r.headers['www-authenticate'], undefined);
  }
});

it('hasScopes requires every scope', () => {
  const p = { scopes: ['a', 'b'] };
  assert.equal(hasScopes(p, []), true);
  assert.equal(hasScopes(p, ['a']), true);
  assert.equal(hasScopes(p, ['a', 'b']), true);
  assert.equal(hasScopes(p, ['a', 'c']), false);
});

it('assertScopes throws InsufficientScopeError carrying the required scopes', () => {
  assert.doesNotThrow(() => assertScopes({ scopes: ['a'] }, ['a']));
  assert.throws(() => assertScopes({ scopes: ['a'] }, ['a', 'b']), (err: unknown) => {
    assert.ok(err instanceof InsufficientScopeError);
    assert.deepEqual(err.scopes, ['a', 'b']);
    return true;
  });
});
