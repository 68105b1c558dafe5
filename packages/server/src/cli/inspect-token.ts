import { compactVerify, decodeJwt, decodeProtectedHeader, importJWK, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import { SIGNING_ALGORITHMS } from '../config/defaults.js';
import type { PublicJwk } from '../keys/key-manager.js';
import type { Store } from '../store/types.js';

export interface Check {
  readonly name: string;
  /** `not_checked`: nothing to compare with (e.g. no expected issuer given). */
  readonly status: 'ok' | 'fail' | 'not_checked';
  /** False only for a failed check. */
  readonly ok: boolean;
  readonly detail: string;
}

/** What the token must say; an unknown value is reported as not checked rather than failed. */
export interface Expected {
  readonly issuer?: string | undefined;
  readonly audience?: string | undefined;
}

export const NOT_CHECKED_HINT = 'not checked (pass --issuer/--audience or set LATCHKEY_ISSUER/LATCHKEY_AUDIENCE)';

export interface Inspection {
  readonly header: ProtectedHeaderParameters | null;
  readonly claims: JWTPayload | null;
  readonly checks: Check[];
  readonly valid: boolean;
}

const SKEW = 30;

/**
 * Decodes a JWT and runs, in the verifier's order, every check an access token must pass against the
 * local key set and the expected issuer/audience, explaining each failure. Never throws on hostile input.
 */
export async function inspectToken(jwt: string, jwks: { keys: PublicJwk[] }, expected: Expected, store: Store, nowMs: number): Promise<Inspection> {
  const checks: Check[] = [];
  const add = (name: string, ok: boolean, detail: string) => checks.push({ name, status: ok ? 'ok' : 'fail', ok, detail });
  const notChecked = (name: string) => checks.push({ name, status: 'not_checked', ok: true, detail: NOT_CHECKED_HINT });
  let header: ProtectedHeaderParameters | null = null;
  let claims: JWTPayload | null = null;
  try {
    if (jwt.split('.').length !== 3) throw new Error('not three dot-separated parts');
    header = decodeProtectedHeader(jwt);
    claims = decodeJwt(jwt);
    add('format', true, 'compact JWS with a JSON header and claims');
  } catch (err) {
    add('format', false, `cannot decode: ${err instanceof Error ? err.message : 'malformed'}`);
    return { header, claims, checks, valid: false };
  }

  const alg = header.alg;
  const algOk = typeof alg === 'string' && (SIGNING_ALGORITHMS as readonly string[]).includes(alg);
  add('alg', algOk, algOk ? `${alg} is allowed` : `"${String(alg)}" is not in the allow-list (${SIGNING_ALGORITHMS.join(', ')})`);
  add('typ', header.typ === 'at+jwt', header.typ === 'at+jwt' ? 'at+jwt' : `expected "at+jwt", got "${String(header.typ)}"`);
  const surprises = ['jku', 'x5u', 'jwk', 'x5c', 'crit'].filter((k) => k in header!);
  add('header parameters', surprises.length === 0, surprises.length === 0 ? 'no jku/x5u/jwk/x5c/crit' : `refused parameters present: ${surprises.join(', ')}`);

  const jwk = jwks.keys.find((k) => k.kid === header!.kid);
  add('kid', jwk !== undefined, jwk !== undefined ? `${String(header.kid)} is in the local key set` : `kid "${String(header.kid)}" is not in the local key set`);
  if (jwk !== undefined && algOk) {
    if (jwk.alg !== alg) {
      add('signature', false, `key ${jwk.kid} is for ${jwk.alg}, token says ${String(alg)}`);
    } else {
      try {
        await compactVerify(jwt, await importJWK(jwk, jwk.alg), { algorithms: [jwk.alg] });
        add('signature', true, `valid, signed by ${jwk.kid}`);
      } catch {
        add('signature', false, 'does not verify with that key (forged or altered)');
      }
    }
  } else {
    add('signature', false, 'not checked: no usable key');
  }

  const now = Math.floor(nowMs / 1000);
  const { issuer, audience } = expected;
  if (issuer === undefined) notChecked('iss');
  else add('iss', claims.iss === issuer, claims.iss === issuer ? issuer : `expected "${issuer}", got "${String(claims.iss)}"`);
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (audience === undefined) notChecked('aud');
  else add('aud', aud.includes(audience), aud.includes(audience) ? audience : `expected "${audience}", got ${JSON.stringify(claims.aud)}`);
  if (typeof claims.exp !== 'number') add('exp', false, 'missing');
  else add('exp', claims.exp + SKEW > now, `${new Date(claims.exp * 1000).toISOString()} (${claims.exp + SKEW > now ? `in ${claims.exp - now} s` : `expired ${now - claims.exp} s ago`})`);
  if (claims.nbf !== undefined) add('nbf', typeof claims.nbf === 'number' && claims.nbf - SKEW <= now, `not before ${String(claims.nbf)}`);
  if (typeof claims.iat !== 'number' || typeof claims.exp !== 'number') add('lifetime', false, 'iat or exp missing');
  else add('lifetime', claims.exp - claims.iat <= 3600, `${claims.exp - claims.iat} s (max 3600)`);
  for (const c of ['sub', 'jti', 'client_id', 'scope'] as const) {
    add(c, typeof claims[c] === 'string', typeof claims[c] === 'string' ? 'present' : 'missing or not a string');
  }
  if (typeof claims.sid === 'string') {
    const session = await store.sessions.get(claims.sid);
    if (session === null) add('session', false, 'unknown session (not from this data folder?)');
    else if (session.revokedAt !== null) add('session', false, `revoked at ${new Date(session.revokedAt).toISOString()} (${session.revokeReason ?? 'no reason'})`);
    else if (session.expiresAt <= nowMs) add('session', false, 'expired');
    else add('session', true, 'active');
  }
  return { header, claims, checks, valid: checks.every((c) => c.ok) };
}
