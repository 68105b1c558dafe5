import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createTestIssuer, generateKeyPair } from '@latchkey/testkit';
import { createVerifier, TokenSignatureInvalidError } from '../src/index.js';

it('the signature is checked before any claim: bad signature + expired + wrong aud → signature invalid', async () => {
  const issuer = await createTestIssuer();
  const forger = await generateKeyPair('ES256', issuer.key.kid);
  const verifier = createVerifier({ issuer: issuer.issuer, audience: issuer.audience, jwks: issuer.jwks });
  const now = Math.floor(Date.now() / 1000);
  const token = await issuer.mintRaw(
    issuer.header(),
    issuer.claims({ iat: now - 7200, exp: now - 3600, aud: 'elsewhere', iss: 'https://attacker.example' }),
    { signWith: forger },
  );
  await assert.rejects(verifier.verifyAccessToken(token), TokenSignatureInvalidError);
});

it('error messages never contain the token', async () => {
  const issuer = await createTestIssuer();
  const verifier = createVerifier({ issuer: issuer.issuer, audience: issuer.audience, jwks: issuer.jwks });
  const token = await issuer.mint({ aud: 'elsewhere' });
  await assert.rejects(verifier.verifyAccessToken(token), (err: Error) => {
    for (const part of token.split('.')) assert.ok(!err.message.includes(part));
    return true;
  });
});
