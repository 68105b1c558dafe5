/**
 * `@latchkey/express`: Express middleware that verifies Latchkey access tokens.
 * @packageDocumentation
 */
import type { RequestHandler } from 'express';
import { assertScopes, assertUserSession, errorResponse, resolveVerifier, type Principal, type VerifierInput } from '@latchkey/verify';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The verified principal, set by the `latchkey()` middleware. */
      auth?: Principal;
    }
  }
}

/** Per-route options. */
export interface LatchkeyOptions {
  /** Scopes the route requires (all of them). */
  readonly scopes?: readonly string[];
  /** Only user-session tokens (with `sid`): machine tokens get `403 user_session_required`. */
  readonly requireUser?: boolean;
}

/**
 * Middleware that authenticates the request, sets `req.auth`, and calls `next()`; on failure it
 * answers the coded error (RFC 6750 challenge on 401) and the route handler never runs.
 *
 * @example
 * ```ts
 * const auth = { verifier: createVerifier({ issuer, audience: 'shop-api', jwksUri }) };
 * app.get('/api/customer/profile', latchkey(auth, { scopes: ['profile:read'] }),
 *   (req, res) => res.json({ user: req.auth?.subject }));
 * ```
 */
export function latchkey(input: VerifierInput, options: LatchkeyOptions = {}): RequestHandler {
  const verifier = resolveVerifier(input);
  const scopes = [...(options.scopes ?? [])];
  const requireUser = options.requireUser === true;
  return async (req, res, next) => {
    let principal: Principal;
    try {
      principal = await verifier.authenticate({ method: req.method, headers: req.headers });
      assertScopes(principal, scopes);
      if (requireUser) assertUserSession(principal);
    } catch (err) {
      const { status, headers, body } = errorResponse(err);
      res.status(status).set(headers).json(body);
      return;
    }
    req.auth = principal;
    next();
  };
}
