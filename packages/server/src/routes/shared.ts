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
