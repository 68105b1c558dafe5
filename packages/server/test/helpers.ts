import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp, loadConfig, openSqliteStore, type AppDeps, type ConfigOverrides, type Store } from '../src/index.js';

export const JSON_HEADERS = { 'content-type': 'application/json' } as const;
export const PASSWORD = 'correct horse battery';

export interface TestServer {
  app: FastifyInstance;
  store: Store;
  close(): Promise<void>;
}

export async function makeServer(overrides: ConfigOverrides = {}, now?: () => number, deps: Omit<AppDeps, 'store' | 'now'> = {}): Promise<TestServer> {
  const store = openSqliteStore(':memory:');
  const config = loadConfig({}, { issuer: 'http://localhost:8080', audience: 'shop-api', ...overrides }, { warn: () => {} });
  const app = await buildApp(config, now === undefined ? { ...deps, store } : { ...deps, store, now });
  return {
    app,
    store,
    async close() {
      await app.close();
      await store.close();
    },
  };
}

export function setCookies(res: LightMyRequestResponse): string[] {
  const raw = res.headers['set-cookie'];
  return raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
}

/** `name=value` of a Set-Cookie line, for sending it back. */
export function cookieValue(res: LightMyRequestResponse, name: string): string | undefined {
  const line = setCookies(res).find((c) => c.startsWith(`${name}=`));
  return line?.split(';')[0]?.slice(name.length + 1);
}

export async function signup(app: FastifyInstance, email = 'alice@example.com', password = PASSWORD) {
  const res = await app.inject({ method: 'POST', url: '/auth/signup', headers: JSON_HEADERS, payload: { email, password, name: 'Alice' } });
  if (res.statusCode !== 201) throw new Error(`signup failed: ${res.statusCode} ${res.body}`);
  return res.json<{ user: { id: string; email: string } }>().user;
}

export interface CookieSession {
  at: string;
  rt: string;
  csrf: string;
  res: LightMyRequestResponse;
}

export async function loginCookie(app: FastifyInstance, email = 'alice@example.com', password = PASSWORD): Promise<CookieSession> {
  const res = await app.inject({ method: 'POST', url: '/auth/login', headers: JSON_HEADERS, payload: { email, password } });
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
  return fromCookieResponse(res);
}

export function fromCookieResponse(res: LightMyRequestResponse): CookieSession {
  const at = cookieValue(res, '__Host-lk_at');
  const rt = cookieValue(res, '__Secure-lk_rt');
  const csrf = res.headers['x-csrf-token'];
  if (at === undefined || rt === undefined || typeof csrf !== 'string') throw new Error('missing cookies or csrf');
  return { at, rt, csrf, res };
}

export function refreshRequest(s: { rt: string; csrf?: string }, extra: Record<string, string> = {}) {
  const headers: Record<string, string> = { cookie: `__Secure-lk_rt=${s.rt}`, ...extra };
  if (s.csrf !== undefined) headers['x-csrf-token'] = s.csrf;
  return { method: 'POST' as const, url: '/auth/refresh', headers };
}

export function assertJsonError(res: LightMyRequestResponse, status: number, code: string): void {
  if (res.statusCode !== status) throw new Error(`expected ${status} ${code}, got ${res.statusCode} ${res.body}`);
  const body = res.json<{ error?: unknown; error_description?: unknown }>();
  if (body.error !== code) throw new Error(`expected error ${code}, got ${res.body}`);
  if (typeof body.error_description !== 'string' || body.error_description.length === 0) throw new Error('missing error_description');
  if (!String(res.headers['content-type']).startsWith('application/json')) throw new Error('error is not JSON');
}

export const FORM_HEADERS = { 'content-type': 'application/x-www-form-urlencoded' } as const;

/** An `application/x-www-form-urlencoded` body; array values repeat the parameter. */
export function form(params: Record<string, string | readonly string[]>): string {
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const one of typeof v === 'string' ? [v] : v) out.append(k, one);
  return out.toString();
}

/** RFC 6749 §2.3.1 Basic credentials (id and secret form-encoded first). */
export function basic(id: string, secret: string): string {
  const enc = (x: string) => encodeURIComponent(x).replaceAll('%20', '+');
  return `Basic ${Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64')}`;
}

export async function loginToken(app: FastifyInstance, email = 'alice@example.com', password = PASSWORD) {
  const res = await app.inject({ method: 'POST', url: '/auth/login', headers: JSON_HEADERS, payload: { email, password, mode: 'token' } });
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
  return res.json<{ access_token: string; refresh_token: string; scope: string; expires_in: number; token_type: string }>();
}
