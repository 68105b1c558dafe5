import { runAttackSuite, type AttackTarget, type MakeAttackTarget } from '@latchkey/testkit';
import { createVerifier, errorResponse, type VerifierOptions } from '../src/index.js';

/**
 * The verification core under the shared attack suite, in every configuration a service can run it
 * in. Each configuration is one verifier; `handlerRan` is "authenticate resolved".
 */
function coreTarget(extra: Partial<VerifierOptions> = {}): MakeAttackTarget {
  return async ({ verifierOptions }) => {
    const verifier = createVerifier({ ...(verifierOptions as VerifierOptions), ...extra });
    const target: AttackTarget = {
      honoursClock: true,
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
      close: async () => {},
    };
    return target;
  };
}

runAttackSuite('verify core (remote JWKS, default backend)', coreTarget(), { configurable: true });
runAttackSuite('verify core (remote JWKS, ES256 only)', coreTarget({ algorithms: ['ES256'] }));
