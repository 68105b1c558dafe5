import type { FastifyRequest } from 'fastify';
import type { ServerConfig } from '../config/defaults.js';

/** Deliberately loose (RFC 5321 is not a regex): one `@`, no whitespace, bounded length. */
export const EMAIL_SCHEMA = { type: 'string', minLength: 3, maxLength: 254, pattern: '^[^\\s@]+@[^\\s@]+$' } as const;

/** Returns a human reason when a new password is unacceptable, else null. */
export function checkNewPassword(password: string, config: ServerConfig): string | null {
  if (Buffer.byteLength(password, 'utf8') > config.passwordMaxBytes) {
    return `Password must be at most ${config.passwordMaxBytes} bytes.`;
  }
  if ([...password].length < config.passwordMinLength) {
    return `Password must be at least ${config.passwordMinLength} characters.`;
  }
  return null;
}

/** The body of `/auth/refresh` and `/auth/logout`: none in cookie mode, `{refresh_token}` in token mode. */
export interface OptionalRefreshTokenBody {
  refresh_token?: string;
}

/** Route options for the endpoints above: an absent body is validated as `{}`, unknown fields are refused. */
export const OPTIONAL_REFRESH_TOKEN_BODY = {
  preValidation: async (request: FastifyRequest): Promise<void> => {
    if (request.body === undefined) request.body = {};
  },
  schema: {
    body: {
      type: 'object',
      additionalProperties: false,
      properties: { refresh_token: { type: 'string', maxLength: 128 } },
    },
  },
} as const;
