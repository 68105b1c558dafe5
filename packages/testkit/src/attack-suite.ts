import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SuiteVerifierOptions } from './adapter-suite.js';
import { attackCases, makeHostileKeys, weakRsaJwks, type AttackCase, type AttackClass, type HostileKeys } from './attack-cases.js';
import { startJwksServer, type JwksServer } from './http.js';
import { createTestIssuer, type Members, type TestIssuer } from './issuer.js';
import { generateKeyPair } from './keys.js';

/** How the suite presents a token. */
export type AttackDelivery = 'bearer' | 'cookie';

/** One request of the suite. Bearer requests are `POST` (state-changing), cookie requests `GET` (no CSRF needed). */
export interface AttackRequest {
  readonly method: 'GET' | 'POST';
  readonly delivery: AttackDelivery;
  readonly token: string;
  /** Ready-made credential header (`authorization` or `cookie`). */
  readonly headers: Readonly<Record<string, string>>;
}

/** What the target answered. */
export interface AttackOutcome {
  readonly status: number;
  /** The wire `error`, when there is one. */
  readonly code: string | undefined;
  /** Whether the protected handler ran (for black-box targets: whether protected data came back). */
  readonly handlerRan: boolean;
}

/** An acceptable refusal. */
export interface ExpectedRefusal {
  readonly status: number;
  readonly code: string;
}

/** A verifier under attack. */
export interface AttackTarget {
  send(request: AttackRequest): Promise<AttackOutcome>;
  close(): Promise<void>;
  /** The key the target trusts (default: the suite's issuer, published by the suite's JWKS). */
  readonly issuer?: TestIssuer;
  /** Claims merged into every token (e.g. a live `sub`/`sid` on the auth server). */
  readonly baseClaims?: Members;
  /** True when the target reads `verifierOptions.now`: time boundaries are then tested to the second. */
  readonly honoursClock?: boolean;
  /** The target's clock skew (default 30 s) and maximum token lifetime (default 3600 s). */
  readonly skewSeconds?: number;
  readonly maxLifetimeSeconds?: number;
  /** What this target answers for an expected `@latchkey/verify` code (default: that code and its status). */
  readonly expected?: (code: string, attack: AttackCase) => readonly ExpectedRefusal[];
  /** The target's `alg` allow-list, when narrower than ES256, EdDSA, RS256. */
  readonly algorithms?: readonly string[];
  /** Deliveries to test (default both). */
  readonly deliveries?: readonly AttackDelivery[];
  /**
   * Send every case this many times (default 1). Use 2 for verifiers with a verified-token cache:
   * the second answer comes from the cache path and must be the same.
   */
  readonly repeat?: number;
  /** Classes that do not apply to this target (say why at the call site). */
  readonly skipClasses?: readonly AttackClass[];
  /** Runs after every case: throws if protected state changed although every attack was refused. */
  assertStateUnchanged?(): Promise<void>;
}

/** What {@link MakeAttackTarget} receives. */
export interface AttackContext {
  /** Options for a verifier trusting the suite's key set (remote JWKS) on the suite's frozen clock. */
  readonly verifierOptions: SuiteVerifierOptions & { now: () => number; jwksUri: string };
  /** The suite's issuer (already in the key set). */
  readonly issuer: TestIssuer;
}

/** Starts a target. With `configurable`, it is also called with hostile options and must reject. */
export type MakeAttackTarget = (context: AttackContext) => Promise<AttackTarget>;

/** Options of {@link runAttackSuite}. */
export interface AttackSuiteOptions {
  /**
   * The target is built from the verifier options it receives: run the start-up refusals too
   * (`makeTarget` must reject with a `config_error` for each hostile configuration).
   */
  readonly configurable?: boolean;
}

/** The status `@latchkey/verify` answers for each refusal code. */
const STATUS: Readonly<Record<string, number>> = {
  invalid_request: 400,
  token_malformed: 401,
  token_header_invalid: 401,
  token_algorithm_not_allowed: 401,
  token_key_unknown: 401,
  token_signature_invalid: 401,
  token_expired: 401,
  token_not_yet_valid: 401,
  token_claim_invalid: 401,
  token_revoked: 401,
};

const SUPPORTED: readonly string[] = ['ES256', 'EdDSA', 'RS256'];
// Refusals decided before the `alg` allow-list is consulted.
const PRE_ALG_CODES: ReadonlySet<string> = new Set(['invalid_request', 'token_malformed', 'token_algorithm_not_allowed']);

function defaultExpected(code: string): readonly ExpectedRefusal[] {
  return [{ status: STATUS[code] ?? 401, code }];
}

/** Hostile verifier configurations that must be refused at start-up, never at the first request. */
async function hostileConfigurations(base: Record<string, unknown>, issuer: TestIssuer): Promise<Array<[string, Record<string, unknown>]>> {
  const weak = await weakRsaJwks();
  const symmetric = { keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'hmac', alg: 'HS256' }] };
  const privateJwk = { keys: [{ ...issuer.key.publicJwk, d: 'AAAA' }] };
  const { jwksUri: _uri, ...local } = base;
  const rows: Array<[string, Record<string, unknown>]> = [
    ['a local key set with a 1024-bit RSA key', { ...local, jwks: weak }],
    ['a local key set with a symmetric (oct) key', { ...local, jwks: symmetric }],
    ['a local key set with a private key', { ...local, jwks: privateJwk }],
    ['both jwks and jwksUri', { ...base, jwks: issuer.jwks }],
    ['algorithms ["HS256"]', { ...base, algorithms: ['HS256'] }],
    ['algorithms ["none"]', { ...base, algorithms: ['none'] }],
    ['algorithms ["RS256", "HS256"]', { ...base, algorithms: ['RS256', 'HS256'] }],
    ['algorithms []', { ...base, algorithms: [] }],
    ['issuer missing', { ...base, issuer: undefined }],
    ['issuer empty', { ...base, issuer: '' }],
    ['audience an empty array', { ...base, audience: [] }],
    ['trustedOrigins with a path', { ...base, trustedOrigins: ['http://localhost:8080/app'] }],
    ['trustedOrigins "null"', { ...base, trustedOrigins: ['null'] }],
    ['an unknown option', { ...base, clockSkew: 30 }],
  ];
  for (const v of [Number.NaN, Number.POSITIVE_INFINITY, -1, 301, 1e9, '30', null, true]) {
    rows.push([`clockSkewSeconds ${String(v)} (${typeof v})`, { ...base, clockSkewSeconds: v }]);
  }
  for (const v of [0, Number.NaN, Number.POSITIVE_INFINITY, -3600, 86_401, 1e12, '3600', null]) {
    rows.push([`maxTokenLifetimeSeconds ${String(v)} (${typeof v})`, { ...base, maxTokenLifetimeSeconds: v }]);
  }
  for (const v of [0, Number.POSITIVE_INFINITY, 1e9, '5000']) {
    rows.push([`jwksTimeoutMs ${String(v)} (${typeof v})`, { ...base, jwksTimeoutMs: v }]);
  }
  for (const v of [0, 10, 1e9]) rows.push([`maxTokenBytes ${String(v)}`, { ...base, maxTokenBytes: v }]);
  return rows.map(([name, o]) => [name, Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined))]);
}

/**
 * The shared attack suite: every public JWT attack class (alg none, HMAC key confusion, embedded and
 * remote keys, kid injection, ECDSA signature encodings, weak and mislabelled keys, claim time
 * boundaries, audience/issuer matching, typ confusion, lifetime, header extensions, other
 * serializations), each with several inputs, as Bearer and as cookie, against one verifier —
 * asserting the status, the error code, and that the protected handler never ran. `jku`/`x5u` URLs
 * point at a local server that must never be asked anything.
 *
 * @example
 * ```ts
 * runAttackSuite('express', async ({ verifierOptions }) => {
 *   const app = ...; // protected GET and POST routes that count their calls
 *   return { send: async (r) => ..., close: () => app.close() };
 * }, { configurable: true });
 * ```
 */
export function runAttackSuite(name: string, makeTarget: MakeAttackTarget, options: AttackSuiteOptions = {}): void {
  describe(`attack suite: ${name}`, () => {
    let issuer: TestIssuer;
    let hostile: HostileKeys;
    let jwks: JwksServer;
    let keyUrlServer: JwksServer;
    let target: AttackTarget;
    let context: AttackContext;
    let cases: AttackCase[];
    const clockMs = Math.floor(Date.now() / 1000) * 1000 + 500;

    before(async () => {
      issuer = await createTestIssuer({ issuer: 'http://localhost:8080', audience: 'shop-api' });
      hostile = await makeHostileKeys(issuer);
      jwks = await startJwksServer({ keys: [issuer.key.publicJwk, ...hostile.jwks] });
      // Serves the attacker's key set: a verifier that followed jku/x5u would find a matching key here.
      const attacker = await generateKeyPair(issuer.alg, 'attacker-key');
      keyUrlServer = await startJwksServer({ keys: [attacker.publicJwk] });
      context = {
        issuer,
        verifierOptions: { issuer: issuer.issuer, audience: issuer.audience, jwksUri: jwks.url, now: () => clockMs },
      };
      target = await makeTarget(context);
      const signer = target.issuer ?? issuer;
      const honours = target.honoursClock === true;
      cases = await attackCases(
        signer,
        hostile,
        {
          nowSeconds: honours ? Math.floor(clockMs / 1000) : Math.floor(Date.now() / 1000),
          skewSeconds: target.skewSeconds ?? 30,
          maxLifetimeSeconds: target.maxLifetimeSeconds ?? 3600,
          margin: honours ? 0 : 5,
        },
        { base: target.baseClaims ?? {}, keyUrl: keyUrlServer.url },
      );
      const suiteKeys = target.issuer === undefined;
      const skip = new Set(target.skipClasses ?? []);
      cases = cases.filter((c) => !skip.has(c.class) && (suiteKeys || c.suiteKeysOnly !== true));
    });
    after(async () => {
      await target?.close();
      await jwks?.close();
      await keyUrlServer?.close();
    });

    async function run(attack: AttackCase, delivery: AttackDelivery): Promise<string | undefined> {
      const headers: Record<string, string> =
        delivery === 'bearer' ? { authorization: `Bearer ${attack.token}` } : { cookie: `__Host-lk_at=${attack.token}` };
      const out = await target.send({ method: delivery === 'bearer' ? 'POST' : 'GET', delivery, token: attack.token, headers });
      const label = `[${attack.class}] ${attack.name} (${delivery})`;
      if (attack.expect === 'ok') {
        if (out.status < 200 || out.status > 299 || !out.handlerRan) return `${label}: expected acceptance, got ${out.status} ${out.code ?? ''}`;
        return undefined;
      }
      if (out.handlerRan) return `${label}: the protected handler ran (status ${out.status})`;
      // A narrower allow-list refuses other (otherwise supported) algorithms before any key or claim check.
      const narrowed =
        target.algorithms !== undefined && attack.headerAlg !== undefined && SUPPORTED.includes(attack.headerAlg) &&
        !target.algorithms.includes(attack.headerAlg) && !PRE_ALG_CODES.has(attack.expect);
      const expectCode = narrowed ? 'token_algorithm_not_allowed' : attack.expect;
      const allowed = (target.expected ?? defaultExpected)(expectCode, attack);
      if (!allowed.some((a) => a.status === out.status && a.code === out.code)) {
        return `${label}: expected ${allowed.map((a) => `${a.status} ${a.code}`).join(' or ')}, got ${out.status} ${out.code ?? '(no code)'}`;
      }
      return undefined;
    }

    const CLASSES: readonly AttackClass[] = [
      'control', 'alg-none', 'stripped-signature', 'hmac-confusion', 'embedded-key', 'key-url', 'kid-injection',
      'ecdsa-signature', 'key-strength', 'key-algorithm-mismatch', 'claims-time', 'lifetime', 'claims-audience',
      'claims-issuer', 'typ-confusion', 'header-extension', 'serialization',
    ];
    for (const cls of CLASSES) {
      it(`${cls}: every case refused with its code, the handler never ran`, async (t) => {
        const mine = cases.filter((c) => c.class === cls);
        if (mine.length === 0) {
          t.skip('no case of this class applies to this target');
          return;
        }
        const failures: string[] = [];
        for (const attack of mine) {
          for (const delivery of target.deliveries ?? ['bearer', 'cookie']) {
            for (let round = 0; round < (target.repeat ?? 1); round++) {
              const failure = await run(attack, delivery);
              if (failure !== undefined) failures.push(round === 0 ? failure : `${failure} [repeat ${round + 1}]`);
            }
          }
        }
        assert.deepEqual(failures, [], `${failures.length} of ${mine.length} ${cls} cases failed:\n${failures.join('\n')}`);
        if (cls === 'key-url') assert.equal(keyUrlServer.requests(), 0, 'a jku/x5u URL was fetched');
      });
    }

    it('no jku/x5u URL was ever fetched, and protected state is unchanged', async () => {
      assert.equal(keyUrlServer.requests(), 0);
      await target.assertStateUnchanged?.();
    });

    if (options.configurable === true) {
      it('start-up: hostile configurations (weak or symmetric keys, none/HMAC, absurd skew and lifetime) are refused', async () => {
        const failures: string[] = [];
        for (const [label, bad] of await hostileConfigurations({ ...context.verifierOptions }, issuer)) {
          let started: AttackTarget | undefined;
          try {
            started = await makeTarget({ issuer, verifierOptions: bad as unknown as AttackContext['verifierOptions'] });
            failures.push(`${label}: accepted`);
          } catch (err) {
            const code = (err as { code?: unknown }).code;
            if (code !== 'config_error') failures.push(`${label}: refused with ${String(code)} (${String(err)})`);
          } finally {
            await started?.close();
          }
        }
        assert.deepEqual(failures, []);
      });
    }
  });
}

/** Counts of cases per class for `issuer` (for docs and reports). */
export async function attackCaseCounts(): Promise<Record<string, number>> {
  const issuer = await createTestIssuer();
  const hostile = await makeHostileKeys(issuer);
  const cases = await attackCases(issuer, hostile, { nowSeconds: Math.floor(Date.now() / 1000), skewSeconds: 30, maxLifetimeSeconds: 3600, margin: 0 }, { keyUrl: 'http://127.0.0.1:9/jwks.json' });
  const counts: Record<string, number> = {};
  for (const c of cases) counts[c.class] = (counts[c.class] ?? 0) + 1;
  return counts;
}
