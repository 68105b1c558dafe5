/**
 * `@latchkey/hono`: Hono middleware that verifies Latchkey access tokens.
 * @packageDocumentation
 */
import type { MiddlewareHandler } from 'hono';
import { createMiddleware } from 'hono/factory';
import { assertScopes, assertUserSession, errorResponse, resolveVerifier, type Principal, type VerifierInput } from '@latchkey/verify';

/** The Hono environment the middleware provides: `c.var.auth` is the verified principal. */
export type LatchkeyEnv = { Variables: { auth: Principal } };

/** Per-route options. */
export interface LatchkeyOptions {
  /** Scopes the route requires (all of them). */
  readonly scopes?: readonly string[];
  /** Only user-session tokens (with `sid`): machine tokens get `403 user_session_required`. */
  readonly requireUser?: boolean;
}

/**
 * Middleware that authenticates the request and sets `c.var.auth`; on failure it returns the
 * coded error response (RFC 6750 challenge on 401) and the handler never runs.
 *
 * @example
 * ```ts
 * const app = new Hono<LatchkeyEnv>();
 * app.get('/api/recommendations', latchkey({ issuer, audience: 'shop-api', jwksUri }),
 *   (c) => c.json({ user: c.var.auth.subject }));
 * ```
 */
export function latchkey(input: VerifierInput, options: LatchkeyOptions = {}): MiddlewareHandler<LatchkeyEnv> {
  const verifier = resolveVerifier(input);
  const scopes = [...(options.scopes ?? [])];
  const requireUser = options.requireUser === true;
  return createMiddleware<LatchkeyEnv>(async (c, next) => {
    let principal: Principal;
    try {
      principal = await verifier.authenticate({ method: c.req.method, headers: c.req.raw.headers });
      assertScopes(principal, scopes);
      if (requireUser) assertUserSession(principal);
    } catch (err) {
      const { status, headers, body } = errorResponse(err);
      return new Response(JSON.stringify(body), { status, headers });
    }
    c.set('auth', principal);
    await next();
    return undefined;
  });
}
