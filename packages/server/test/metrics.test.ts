import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { JSON_HEADERS, loginCookie, makeServer, PASSWORD, signup, type TestServer } from './helpers.js';

function sample(body: string, name: string, labels: string): number | undefined {
  const line = body.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('GET /metrics (Prometheus text)', () => {
  let s: TestServer;
  before(async () => {
    s = await makeServer();
  });
  after(async () => s.close());

  it('counts requests per route pattern and errors per stable code, with no client-chosen labels or secrets', async () => {
    await signup(s.app, 'metrics@example.com');
    await loginCookie(s.app, 'metrics@example.com');
    for (let i = 0; i < 2; i++) {
      const bad = await s.app.inject({ method: 'POST', url: '/auth/login', headers: JSON_HEADERS, payload: { email: 'metrics@example.com', password: 'wrong password!' } });
      assert.equal(bad.statusCode, 401);
    }
    await s.app.inject({ method: 'GET', url: '/no/such/path-with-a-secret-looking-name' });

    const res = await s.app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    assert.equal(res.headers['cache-control'], 'no-store');
    const body = res.body;
    assert.equal(sample(body, 'latchkey_http_requests_total', 'route="/auth/login",method="POST",status="200"'), 1);
    assert.equal(sample(body, 'latchkey_http_requests_total', 'route="/auth/login",method="POST",status="401"'), 2);
    assert.equal(sample(body, 'latchkey_http_requests_total', 'route="/auth/signup",method="POST",status="201"'), 1);
    assert.equal(sample(body, 'latchkey_errors_total', 'code="invalid_credentials"'), 2);
    assert.equal(sample(body, 'latchkey_errors_total', 'code="not_found"'), 1);
    assert.equal(sample(body, 'latchkey_http_requests_total', 'route="unmatched",method="other",status="404"'), 1);
    assert.equal(sample(body, 'latchkey_http_request_duration_seconds_count', 'route="/auth/login",method="POST"'), 3);
    assert.equal(sample(body, 'latchkey_signing_keys_published', ''), undefined, 'gauges carry no braces');
    assert.match(body, /^latchkey_signing_keys_published 1$/m);
    // Nothing a client sent is echoed: not the path, the email or the password.
    for (const leak of ['path-with-a-secret-looking-name', 'metrics@example.com', PASSWORD, 'wrong password!']) {
      assert.equal(body.includes(leak), false, `metrics leak ${leak}`);
    }
    // Every sample line is well-formed exposition text.
    for (const line of body.trimEnd().split('\n')) {
      assert.match(line, /^(# (HELP|TYPE) [a-z_]+ .+|[a-z_]+(\{[a-z_]+="[^"\n]*"(,[a-z_]+="[^"\n]*")*\})? [0-9.e+-]+)$/, line);
    }
  });
});
