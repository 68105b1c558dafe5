import { parse, serialize } from 'cookie';

/** Names fixed by docs/architecture.md. */
export const ACCESS_COOKIE = '__Host-lk_at';
export const REFRESH_COOKIE = '__Secure-lk_rt';
export const CSRF_HEADER = 'X-CSRF-Token';

/** `__Host-lk_at=<jwt>; Max-Age=N; Path=/; HttpOnly; Secure; SameSite=Lax` */
export function accessCookie(token: string, maxAgeSeconds: number): string {
  return serialize(ACCESS_COOKIE, token, { maxAge: maxAgeSeconds, path: '/', httpOnly: true, secure: true, sameSite: 'lax' });
}

/** `__Secure-lk_rt=<sid.secret>; Max-Age=N; Path=/auth; HttpOnly; Secure; SameSite=Strict` */
export function refreshCookie(token: string, maxAgeSeconds: number): string {
  return serialize(REFRESH_COOKIE, token, { maxAge: maxAgeSeconds, path: '/auth', httpOnly: true, secure: true, sameSite: 'strict' });
}

/** Both cookies expired, with the same attributes so the browser matches and drops them. */
export function clearedCookies(): string[] {
  return [accessCookie('', 0), refreshCookie('', 0)];
}

/** Reads one cookie from a Cookie header; a malformed header yields undefined, never a throw. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined || header.length === 0) return undefined;
  try {
    const value = parse(header)[name];
    return value === undefined || value === '' ? undefined : value;
  } catch {
    return undefined;
  }
}
