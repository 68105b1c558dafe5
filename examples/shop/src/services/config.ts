import { listFromEnv, requireEnv } from '../runtime.js';
import { SHOP_AUDIENCE } from '../launcher-constants.js';

/** What every shop service needs to verify tokens itself (a subset of `@latchkey/verify`'s options). */
export interface ServiceAuthOptions {
  issuer: string;
  audience: string;
  jwksUri: string;
  trustedOrigins?: string[];
}

/** LATCHKEY_ISSUER, LATCHKEY_JWKS_URI (required), LATCHKEY_AUDIENCE (default shop-api), LATCHKEY_TRUSTED_ORIGINS. */
export function authOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): ServiceAuthOptions {
  const trustedOrigins = listFromEnv('LATCHKEY_TRUSTED_ORIGINS', env);
  return {
    issuer: requireEnv('LATCHKEY_ISSUER', env),
    audience: env['LATCHKEY_AUDIENCE']?.trim() || SHOP_AUDIENCE,
    jwksUri: requireEnv('LATCHKEY_JWKS_URI', env),
    ...(trustedOrigins.length > 0 ? { trustedOrigins } : {}),
  };
}

/** LATCHKEY_DATA_DIR, default `./.latchkey`. */
export function dataDirFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return env['LATCHKEY_DATA_DIR']?.trim() || './.latchkey';
}
