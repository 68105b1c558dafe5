/**
 * `@latchkey/testkit`: test keys, a token factory that also forges, the shared adapter conformance
 * suite and the shared hostile-URL suite.
 * @packageDocumentation
 */
export { generateKeyPair, keyPairFromPrivateJwk } from './keys.js';
export type { TestAlgorithm, TestKeyPair } from './keys.js';
export { createTestIssuer } from './issuer.js';
export type { TestIssuer, TestIssuerOptions, MintRawOptions, Members } from './issuer.js';
export { forgedTokens } from './forgeries.js';
export type { ForgedToken } from './forgeries.js';
export { sendRequest, startJwksServer, unreachableUrl } from './http.js';
export type { TestResponse, JwksServer } from './http.js';
export { runAdapterSuite, adapterAttackTarget } from './adapter-suite.js';
export type { AdapterApp, MakeAdapterApp, SuiteVerifierOptions } from './adapter-suite.js';
export { runAttackSuite, attackCaseCounts } from './attack-suite.js';
export type {
  AttackContext,
  AttackDelivery,
  AttackOutcome,
  AttackRequest,
  AttackSuiteOptions,
  AttackTarget,
  ExpectedRefusal,
  MakeAttackTarget,
} from './attack-suite.js';
export { attackCases, makeHostileKeys, weakRsaJwks } from './attack-cases.js';
export type { AttackCase, AttackClass, CaseClock, HostileKeys } from './attack-cases.js';
export { runHostileUrlSuite, hostileRequests, sendRawRequest, assertWireError } from './hostile-urls.js';
export type { HostileRequest, HostileUrlApp, HostileUrlSuiteOptions, RawResponse } from './hostile-urls.js';
