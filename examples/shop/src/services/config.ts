import { listFromEnv, requireEnv } from '../runtime.js';
import { SHOP_AUDIENCE } from '../launcher-constants.js';
import type { RevocationLogEvent, RevocationOptions } from '@latchkey/verify';

/** What every shop service needs to verify tokens itself (a subset of `@latchkey/verify`'s options). */
export interface ServiceAuthOptions {
  issuer: string;
  audience: string;
  jwksUri: string;
  trustedOrigins?: string[];
  /** Follow the auth server's revocation feed (logout reaches this service within about a second). */
  revocation?: RevocationOptions;
}

/**
 * LATCHKEY_ISSUER, LATCHKEY_JWKS_URI (required), LATCHKEY_AUDIENCE (default shop-api), LATCHKEY_TRUSTED_ORIGINS;
 * revocation feed: LATCHKEY_REVOCATION_URL, LATCHKEY_REVOCATION_TOKEN, LATCHKEY_REVOCATION_POLICY (`open`|`closed`).
 * `log` receives the feed's connect/loss lines (default: stderr).
 */
export function authOptionsFromEnv(env: NodeJS.ProcessEnv = process.env, log: (line: string) => void = (l) => console.error(l)): ServiceAuthOptions {
  const trustedOrigins = listFromEnv('LATCHKEY_TRUSTED_ORIGINS', env);
  const revocationUrl = env['LATCHKEY_REVOCATION_URL']?.trim();
  const policy = env['LATCHKEY_REVOCATION_POLICY']?.trim() || 'open';
  if (policy !== 'open' && policy !== 'closed') throw new Error('LATCHKEY_REVOCATION_POLICY must be "open" or "closed"');
  const token = env['LATCHKEY_REVOCATION_TOKEN']?.trim();
  return {
    issuer: requireEnv('LATCHKEY_ISSUER', env),
    audience: env['LATCHKEY_AUDIENCE']?.trim() || SHOP_AUDIENCE,
    jwksUri: requireEnv('LATCHKEY_JWKS_URI', env),
    ...(trustedOrigins.length > 0 ? { trustedOrigins } : {}),
    ...(revocationUrl
      ? {
          revocation: {
            url: revocationUrl,
            ...(token ? { token } : {}),
            failurePolicy: policy,
            log: (e: RevocationLogEvent) => {
              if (e.type === 'connected') log('revocation feed: connected');
              else if (e.type === 'lost') log(`revocation feed lost (${e.error}); retrying in ${e.retryInMs} ms`);
            },
          },
        }
      : {}),
  };
}

/** LATCHKEY_DATA_DIR, default `./.latchkey`. */
export function dataDirFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return env['LATCHKEY_DATA_DIR']?.trim() || './.latchkey';
}
