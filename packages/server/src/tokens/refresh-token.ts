import { randomToken } from './crypto.js';

/** Session ids: 128 random bits, base64url (22 chars). */
export function newSessionId(): string {
  return randomToken(16);
}

/** Refresh secrets: 256 random bits, base64url (43 chars). */
export function newRefreshSecret(): string {
  return randomToken(32);
}

export function formatRefreshToken(sessionId: string, secret: string): string {
  return `${sessionId}.${secret}`;
}

const SHAPE = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

/** Parses `<session id>.<secret>`; anything else (wrong length, charset, extra dots) is null. */
export function parseRefreshToken(value: unknown): { sessionId: string; secret: string } | null {
  if (typeof value !== 'string' || value.length !== 66) return null;
  const m = SHAPE.exec(value);
  if (m === null || m[1] === undefined || m[2] === undefined) return null;
  return { sessionId: m[1], secret: m[2] };
}
