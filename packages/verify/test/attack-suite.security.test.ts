import { runAttackSuite, type AttackTarget, type MakeAttackTarget } from '@latchkey/testkit';
import { createVerifierWith } from '../src/create-verifier.js';
import type { CryptoBackend } from '../src/crypto-backend.js';
import { backend as nodeBackend } from '../src/crypto-backend-node.js';
import { backend as webBackend } from '../src/crypto-backend-web.js';
import { errorResponse, type VerifierOptions } from '../src/index.js';

/**
 * The verification core under the shared attack suite, in every configuration a service can run it
 * in: each crypto backend (node:crypto KeyObjects, jose over WebCrypto), with and without the
 * verified-token cache (with it, every case is sent twice so the second answer takes the cache path),
 * and a narrowed allow-list. `handlerRan` is "authenticate resolved".
 */
function coreTarget(backend: CryptoBackend, extra: Partial<VerifierOptions> = {}): MakeAttackTarget {
  return async ({ verifierOptions }) => {
    const verifier = createVerifierWith({ ...(verifierOptions as VerifierOptions), ...extra }, backend);
    const cached = extra.tokenCache?.enabled !== false;
    const target: AttackTarget = {
      honoursClock: true,
      repeat: cached ? 2 : 1,
      ...(extra.algorithms === undefined ? {} : { algorithms: extra.algorithms }),
      async send(request) {
        try {
          await verifier.authenticate({ method: request.method, headers: request.headers });
          return { status: 200, code: undefined, handlerRan: true };
        } catch (err) {
          const { status, body } = errorResponse(err);
          return { status, code: body.error, handlerRan: false };
        }
      },
      close: async () => verifier.close(),
    };
    return target;
  };
}

for (const [name, backend] of [['node:crypto', nodeBackend], ['jose/WebCrypto', webBackend]] as const) {
  runAttackSuite(`verify core (${name} backend, token cache on)`, coreTarget(backend), { configurable: true });
  runAttackSuite(`verify core (${name} backend, token cache off)`, coreTarget(backend, { tokenCache: { enabled: false } }));
  runAttackSuite(`verify core (${name} backend, ES256-only allow-list)`, coreTarget(backend, { algorithms: ['ES256'] }));
}
