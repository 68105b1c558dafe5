import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { it } from 'node:test';
import fc from 'fast-check';
import { createTestIssuer } from '@latchkey/testkit';
import { createVerifier, errorResponse, LatchkeyError } from '../src/index.js';

const issuer = await createTestIssuer();
const verifier = createVerifier({ issuer: issuer.issuer, audience: issuer.audience, jwks: issuer.jwks });
const valid = await issuer.mint({ csrf: 'c' });

function assertCoded(err: unknown): true {
  assert.ok(err instanceof LatchkeyError, `not a LatchkeyError: ${String(err)}`);
  assert.ok(errorResponse(err).status < 500 || err.code === 'keys_unavailable', err.code);
  return true;
}

it('random Authorization, Cookie, CSRF and Origin headers only ever yield coded 4xx errors', async () => {
  const header = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.constantFrom(`Bearer ${valid}`, `__Host-lk_at=${valid}`, 'Bearer', '__Host-lk_at', 'null', 'cross-site'),
    fc.array(fc.string({ maxLength: 50 }), { maxLength: 3 }),
  );
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom('GET', 'POST', 'DELETE', 'bogus', ''),
      fc.record({ authorization: header, cookie: header, 'x-csrf-token': header, origin: header, 'sec-fetch-site': header }, { requiredKeys: [] }),
      async (method, headers) => {
        try {
          await verifier.authenticate({ method, headers });
        } catch (err) {
          assertCoded(err);
        }
      },
    ),
    { numRuns: 300 },
  );
});

it('random mutations of a valid token are refused with coded 401s', async () => {
  await fc.assert(
    fc.asyncProperty(fc.nat({ max: valid.length - 1 }), fc.constantFrom(...'ABCabc012-_.'), async (index, ch) => {
      const mutated = valid.slice(0, index) + ch + valid.slice(index + 1);
      if (mutated === valid) return;
      await assert.rejects(verifier.verifyAccessToken(mutated), assertCoded);
    }),
    { numRuns: 200 },
  );
});

it('the verification core imports nothing but jose and its own modules (web-platform APIs only)', () => {
  const dir = new URL('../../src/', import.meta.url);
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.js'))) {
    const text = readFileSync(new URL(file, dir), 'utf8');
    for (const m of text.matchAll(/from\s+['"]([^'"]+)['"]/g)) {
      const spec = m[1] ?? '';
      assert.ok(spec === 'jose' || spec.startsWith('./'), `${file} imports ${spec}`);
    }
  }
});
