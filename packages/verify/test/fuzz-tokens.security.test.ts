/**
 * Rule: token and cookie parsing never throws anything but a coded 4xx `LatchkeyError`, whatever the
 * JOSE header, payload or Cookie header. Property-based over structured-but-hostile tokens (random
 * header members, claim types and values, signed with the real key so the claim checks are reached),
 * and over cookie headers built from hostile fragments.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { createTestIssuer } from '@latchkey/testkit';
import { createVerifier, errorResponse, LatchkeyError } from '../src/index.js';

const issuer = await createTestIssuer();
const verifier = createVerifier({ issuer: issuer.issuer, audience: issuer.audience, jwks: issuer.jwks });

function assertCoded(err: unknown): void {
  assert.ok(err instanceof LatchkeyError, `not a LatchkeyError: ${String(err)}`);
  assert.ok(errorResponse(err).status < 500, err.code);
}

const anyValue = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
);
const headerMember = fc.constantFrom('alg', 'typ', 'kid', 'crit', 'b64', 'jku', 'jwk', 'x5u', 'x5c', 'zip', 'enc', 'cty', '__proto__');
const claimMember = fc.constantFrom('iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti', 'client_id', 'scope', 'sid', 'csrf', 'roles', '__proto__', 'constructor');

it('structured hostile tokens (random header members and claim values, really signed) are coded 4xx or valid', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.dictionary(headerMember, anyValue, { maxKeys: 3 }),
      fc.dictionary(claimMember, anyValue, { maxKeys: 4 }),
      fc.boolean(),
      async (headerOverrides, claimOverrides, keepDefaults) => {
        const header = keepDefaults ? issuer.header(headerOverrides) : headerOverrides;
        const claims = keepDefaults ? issuer.claims(claimOverrides) : claimOverrides;
        const token = await issuer.mintRaw(header, claims);
        try {
          const verified = await verifier.verifyAccessToken(token);
          // Accepted only when it really is a well-formed access token for us.
          assert.equal(verified.iss, issuer.issuer);
          assert.equal(typeof verified.sub, 'string');
        } catch (err) {
          assertCoded(err);
        }
      },
    ),
    { numRuns: 300 },
  );
});

it('cookie headers built from hostile fragments only ever yield coded 4xx errors (or the one valid token)', async () => {
  const valid = await issuer.mint();
  const fragment = fc.oneof(
    fc.constantFrom('__Host-lk_at=', `__Host-lk_at=${valid}`, '__Host-lk_at="', '"', ';', '=', ' ', ',', '\t', '__Host-lk_at', '__host-lk_at=x', '%3D', '__Secure-lk_rt=x.y'),
    fc.string({ maxLength: 20 }),
  );
  await fc.assert(
    fc.asyncProperty(fc.array(fragment, { maxLength: 8 }), fc.constantFrom('GET', 'POST'), async (parts, method) => {
      try {
        await verifier.authenticate({ method, headers: { cookie: parts.join('') } });
      } catch (err) {
        assertCoded(err);
      }
    }),
    { numRuns: 400 },
  );
});
