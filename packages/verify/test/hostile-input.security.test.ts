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

// The portable core: what a bundler or runtime without the `node` condition loads. It must import
// nothing but jose and its own modules, and use no Node globals; node:crypto lives only behind the
// `#crypto-backend` seam (package.json `imports`), in crypto-backend-node.
const distSrc = new URL('../src/', import.meta.url);
const NODE_BACKEND = 'crypto-backend-node.js';
const importsMap = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  imports: Record<string, Record<string, string>>;
}).imports;

function importsOf(file: string): string[] {
  const text = readFileSync(new URL(file, distSrc), 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1] ?? '');
}

it('the crypto backend seam: node condition → node:crypto backend, anything else → the jose/WebCrypto backend', () => {
  const seam = importsMap['#crypto-backend'];
  assert.ok(seam !== undefined);
  assert.deepEqual(Object.keys(seam), ['types', 'node', 'default']);
  assert.equal(seam['node'], `./dist/src/${NODE_BACKEND}`);
  assert.equal(seam['default'], './dist/src/crypto-backend-web.js');
});

it('the portable verification core imports nothing but jose and its own modules (web-platform APIs only)', () => {
  const files = readdirSync(distSrc).filter((f) => f.endsWith('.js'));
  assert.ok(files.length >= 15, `found the compiled core (${files.length} files)`);
  // Walk the module graph a non-Node runtime loads, from the package entry point.
  const seen = new Set<string>();
  const queue = ['index.js'];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    assert.notEqual(file, NODE_BACKEND, 'the node backend is reachable only through the "node" condition');
    for (const spec of importsOf(file)) {
      if (spec === 'jose') continue;
      if (spec === '#crypto-backend') queue.push((importsMap['#crypto-backend']?.['default'] ?? '').replace('./dist/src/', ''));
      else if (spec.startsWith('./')) queue.push(spec.slice(2));
      else assert.fail(`${file} imports ${spec}`);
    }
    const code = readFileSync(new URL(file, distSrc), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    assert.doesNotMatch(code, /\b(Buffer|process|require)\b/, `${file} uses a Node global`);
  }
  assert.ok(seen.has('crypto-backend-web.js') && seen.has('verify-token.js') && seen.has('check-claims.js'));
  // Modules outside the graph are the node backend and type-only modules (nothing at run time).
  for (const file of files.filter((f) => !seen.has(f) && f !== NODE_BACKEND)) {
    assert.match(readFileSync(new URL(file, distSrc), 'utf8'), /^export \{\};\s*(\/\/# sourceMappingURL=.*)?\s*$/, `${file} is type-only`);
  }
  for (const spec of importsOf(NODE_BACKEND)) {
    assert.ok(spec === 'node:crypto' || spec.startsWith('./'), `${NODE_BACKEND} imports ${spec}`);
  }
});
