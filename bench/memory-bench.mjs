// Resident memory of a process holding 100,000 verified tokens in a Latchkey verifier's cache
// (real tokens, each verified once through the full path). Run with --expose-gc.
import { createVerifier } from '@latchkey/verify';
import { AUDIENCE, ISSUER, makeKey, mint } from './lib/tokens.mjs';

const TARGET = 100_000;
// --quick fills half and scales linearly (reported as extrapolated): filling means verifying every
// token once through the full path, ~15 s for 100,000 ES256 tokens here.
const COUNT = process.argv.includes('--quick') ? TARGET / 2 : TARGET;
const log = (...a) => process.stderr.write(`${a.join(' ')}\n`);
const mb = (b) => Number((b / 1024 / 1024).toFixed(1));
const settle = () => { globalThis.gc?.(); globalThis.gc?.(); return process.memoryUsage(); };

const key = makeKey('ES256');
const verifier = createVerifier({
  issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [key.jwk] },
  tokenCache: { maxEntries: COUNT, maxBytes: 1024 * 1024 * 1024 },
});
// Keep the verifier reachable: after its last use V8 may otherwise collect it, cache and all.
globalThis.benchVerifier = verifier;
const first = mint(key);
await verifier.verifyAccessToken(first); // warm the code paths
const before = settle();
let tokenChars = 0;
for (let i = 0; i < COUNT; i++) {
  const token = mint(key);
  tokenChars += token.length;
  await verifier.verifyAccessToken(token);
  if ((i + 1) % 25_000 === 0) log(`  memory: ${i + 1}/${COUNT} tokens verified and cached (heap ${mb(process.memoryUsage().heapUsed)} MB)`);
}
const after = settle();
await globalThis.benchVerifier.verifyAccessToken(first); // still cached, still valid
const scale = TARGET / COUNT;
process.stdout.write(`${JSON.stringify({
  tokens: TARGET,
  measured_tokens: COUNT,
  extrapolated: scale !== 1,
  avg_token_bytes: Math.round(tokenChars / COUNT),
  rss_before_mb: mb(before.rss),
  rss_after_mb: mb(before.rss + (after.rss - before.rss) * scale),
  rss_delta_mb: mb((after.rss - before.rss) * scale),
  heap_delta_mb: mb((after.heapUsed - before.heapUsed) * scale),
  heap_bytes_per_token: Math.round((after.heapUsed - before.heapUsed) / COUNT),
})}\n`);
