import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { userJson } from '../context.js';
import { AccountDisabledError, InvalidCredentialsError } from '../errors.js';
import { assertSameSite } from '../http/origin-guard.js';
import { sendBearerTokens, sendCookieTokens, startSession, type LoginMode } from '../auth/sessions.js';
import { EMAIL_SCHEMA } from './shared.js';
import { clearFailures, clientIp, throttled, type ThrottleKey } from '../auth/throttle.js';
import { normalizeEmail } from '../store/types.js';

interface LoginBody {
  email: string;
  password: string;
  mode?: LoginMode;
}

/**
 * `POST /auth/login` {email, password, mode?} →
 * cookie mode (default): 200 {user, expires_in, expires_at} + both cookies + `X-CSRF-Token`;
 * token mode: 200 {access_token, token_type, expires_in, refresh_token, scope}.
 */
export function loginRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.post<{ Body: LoginBody }>(
    '/auth/login',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['email', 'password'],
          properties: {
            email: EMAIL_SCHEMA,
            password: { type: 'string', maxLength: 4096 },
            mode: { type: 'string', enum: ['cookie', 'token'] },
          },
        },
      },
    },
    async (request, reply) => {
      assertSameSite(request, ctx.config);
      const { email, password } = request.body;
      const mode = request.body.mode ?? 'cookie';
      // Counted per account (whether or not it exists, so a 429 reveals nothing) and per address.
      const accountKey: ThrottleKey = ['loginAccount', normalizeEmail(email)];
      const user = await throttled(ctx, [accountKey, ['loginIp', clientIp(request)]], (err) => err instanceof InvalidCredentialsError, async () => {
        // No account can have a longer password, so this says nothing about the email.
        if (Buffer.byteLength(password, 'utf8') > ctx.config.passwordMaxBytes) throw new InvalidCredentialsError();
        const found = await ctx.store.users.findByEmail(email);
        if (found === null) {
          // Spend a real hash so an unknown email answers as slowly as a wrong password.
          await ctx.passwords.verify(await ctx.dummyHash(), password);
          throw new InvalidCredentialsError();
        }
        if (!(await ctx.passwords.verify(found.passwordHash, password))) throw new InvalidCredentialsError();
        return found;
      });
      await clearFailures(ctx, accountKey);
      if (user.disabled) throw new AccountDisabledError();
      const minted = await startSession(ctx, user, mode, request);
      if (mode === 'token') return sendBearerTokens(reply, ctx, minted);
      return sendCookieTokens(reply, ctx, minted, { user: userJson(user) });
    },
  );
}
