import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { userJson } from '../context.js';
import { EmailTakenError, InvalidPasswordError, SignupDisabledError } from '../errors.js';
import { assertSameSite } from '../http/origin-guard.js';
import { EMAIL_SCHEMA, checkNewPassword } from './shared.js';

interface SignupBody {
  email: string;
  password: string;
  name?: string;
}

/** `POST /auth/signup` {email, password, name?} → 201 {user}. Does not log in. */
export function signupRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.post<{ Body: SignupBody }>(
    '/auth/signup',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['email', 'password'],
          properties: {
            email: EMAIL_SCHEMA,
            password: { type: 'string', maxLength: 4096 },
            name: { type: 'string', minLength: 1, maxLength: 100 },
          },
        },
      },
    },
    async (request, reply) => {
      assertSameSite(request, ctx.config);
      if (!ctx.config.signupEnabled) throw new SignupDisabledError();
      const { email, password, name } = request.body;
      const problem = checkNewPassword(password, ctx.config);
      if (problem !== null) throw new InvalidPasswordError(problem);
      const passwordHash = await ctx.passwords.hash(password);
      const result = await ctx.store.users.create({ email, passwordHash, name: name?.trim() || null }, ctx.now());
      if (!result.ok) throw new EmailTakenError();
      return reply.code(201).send({ user: userJson(result.user) });
    },
  );
}
