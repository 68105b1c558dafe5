import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientCredentialsTokenSource, ServiceTokenError } from '../src/service-token.js';

function fakeEndpoint(answer: (n: number) => { status: number; body: unknown }) {
  const calls: { url: string; init: RequestInit }[] = [];
  const fetchImpl = (async (url: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(url), init: init ?? {} });
    const { status, body } = answer(calls.length);
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
  return { calls, fetchImpl };
}

const base = { tokenUrl: 'http://auth.test/oauth/token', clientId: 'svc id', clientSecret: 's3cr3t:+/', scope: 'cart:read', resource: 'shop-api' };

test('asks with Basic (form-encoded id and secret) and a form body; caches until shortly before expiry', async () => {
  let now = 1_000_000;
  const { calls, fetchImpl } = fakeEndpoint((n) => ({ status: 200, body: { access_token: `t${n}`, token_type: 'Bearer', expires_in: 300 } }));
  const source = clientCredentialsTokenSource({ ...base, fetch: fetchImpl, now: () => now, renewBeforeSeconds: 30 });
  assert.equal(await source.get(), 't1');
  const init = calls[0]!.init;
  const headers = init.headers as Record<string, string>;
  assert.equal(headers['authorization'], `Basic ${Buffer.from('svc+id:s3cr3t%3A%2B%2F').toString('base64')}`);
  assert.equal(headers['content-type'], 'application/x-www-form-urlencoded');
  assert.equal(String(init.body), 'grant_type=client_credentials&scope=cart%3Aread&resource=shop-api');
  assert.equal(String(init.body).includes('s3cr3t'), false, 'the secret is only in the header');

  now += 269_000;
  assert.equal(await source.get(), 't1', 'still cached 269 s into a 300 s token');
  now += 1_000;
  assert.equal(await source.get(), 't2', 'renewed 30 s before expiry');
  assert.equal(calls.length, 2);
});

test('concurrent callers share one token request; invalidate drops only the named token', async () => {
  const { calls, fetchImpl } = fakeEndpoint((n) => ({ status: 200, body: { access_token: `t${n}`, token_type: 'bearer', expires_in: 600 } }));
  const source = clientCredentialsTokenSource({ ...base, fetch: fetchImpl });
  const tokens = await Promise.all(Array.from({ length: 10 }, () => source.get()));
  assert.deepEqual(new Set(tokens), new Set(['t1']));
  assert.equal(calls.length, 1);
  source.invalidate('not-the-cached-one');
  assert.equal(await source.get(), 't1');
  source.invalidate('t1');
  assert.equal(await source.get(), 't2');
});

test('refusals and odd answers reject with ServiceTokenError (no secret in the message) and are not cached', async () => {
  const answers = [
    { status: 401, body: { error: 'invalid_client' } },
    { status: 200, body: { access_token: 't', token_type: 'mac', expires_in: 600 } },
    { status: 200, body: { access_token: 't', token_type: 'Bearer', expires_in: -5 } },
    { status: 200, body: ['not', 'an', 'object'] },
    { status: 200, body: { access_token: 'ok', token_type: 'Bearer', expires_in: 600 } },
  ];
  const { fetchImpl } = fakeEndpoint((n) => answers[n - 1]!);
  const source = clientCredentialsTokenSource({ ...base, fetch: fetchImpl });
  for (let i = 0; i < 4; i++) {
    await assert.rejects(source.get(), (err: unknown) => err instanceof ServiceTokenError && !err.message.includes(base.clientSecret));
  }
  assert.equal(await source.get(), 'ok');
  const down = clientCredentialsTokenSource({ ...base, fetch: (async () => { throw new TypeError('fetch failed'); }) as typeof fetch });
  await assert.rejects(down.get(), ServiceTokenError);
});
