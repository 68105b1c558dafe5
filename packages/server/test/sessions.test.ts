import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { deviceLabel } from '../src/auth/device-label.js';
import { assertJsonError, JSON_HEADERS, loginCookie, makeServer, PASSWORD, refreshRequest, setCookies, signup, type CookieSession, type TestServer } from './helpers.js';

const CHROME_LINUX = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

describe('devices: GET /auth/sessions, DELETE /auth/sessions/:id, POST /auth/logout-all', () => {
  let s: TestServer;
  before(async () => {
    s = await makeServer();
    await signup(s.app);
    await signup(s.app, 'bob@example.com');
  });
  after(async () => s.close());

  async function browserLogin(email = 'alice@example.com'): Promise<CookieSession> {
    const res = await s.app.inject({ method: 'POST', url: '/auth/login', headers: { ...JSON_HEADERS, 'user-agent': CHROME_LINUX }, payload: { email, password: PASSWORD } });
    const { fromCookieResponse } = await import('./helpers.js');
    return fromCookieResponse(res);
  }
  async function nativeLogin(email = 'alice@example.com'): Promise<{ at: string; rt: string }> {
    const res = await s.app.inject({ method: 'POST', url: '/auth/login', headers: { ...JSON_HEADERS, 'user-agent': 'curl/8.5.0' }, payload: { email, password: PASSWORD, mode: 'token' } });
    const b = res.json<{ access_token: string; refresh_token: string }>();
    return { at: b.access_token, rt: b.refresh_token };
  }
  const cookieHeaders = (c: CookieSession, csrf: string | null = c.csrf) => ({
    cookie: `__Host-lk_at=${c.at}`,
    ...(csrf === null ? {} : { 'x-csrf-token': csrf }),
  });
  interface Row { id: string; device: string; client_id: string; current: boolean; created_at: string; last_used_at: string; expires_at: string }
  const list = async (headers: Record<string, string>) => {
    const res = await s.app.inject({ method: 'GET', url: '/auth/sessions', headers });
    assert.equal(res.statusCode, 200, res.body);
    return res.json<{ sessions: Row[] }>().sessions;
  };

  it('lists the live sessions with a device label, timestamps and the current flag; never another user\'s', async () => {
    const web = await browserLogin();
    const native = await nativeLogin();
    await browserLogin('bob@example.com');
    const rows = await list(cookieHeaders(web));
    const mine = rows.find((r) => r.id === String(decodeJwt(web.at).sid));
    const cli = rows.find((r) => r.id === String(decodeJwt(native.at).sid));
    assert.ok(mine && cli);
    assert.equal(mine.device, 'Chrome on Linux');
    assert.equal(mine.client_id, 'latchkey-web');
    assert.equal(mine.current, true);
    assert.equal(cli.device, 'curl');
    assert.equal(cli.current, false);
    assert.ok(!Number.isNaN(Date.parse(mine.created_at)) && !Number.isNaN(Date.parse(mine.last_used_at)) && !Number.isNaN(Date.parse(mine.expires_at)));
    assert.equal(rows.filter((r) => r.current).length, 1);
    const bobs = (await s.store.users.findByEmail('bob@example.com'))!;
    const bobSessions = await s.store.sessions.listForUser(bobs.id);
    assert.ok(!rows.some((r) => bobSessions.some((b) => b.id === r.id)));
    // Bearer works too and marks its own session current.
    const viaBearer = await list({ authorization: `Bearer ${native.at}` });
    assert.equal(viaBearer.find((r) => r.current)?.id, cli.id);
  });

  it('without credentials → 401 missing_credentials', async () => {
    assertJsonError(await s.app.inject({ method: 'GET', url: '/auth/sessions' }), 401, 'missing_credentials');
    assertJsonError(await s.app.inject({ method: 'POST', url: '/auth/logout-all' }), 401, 'missing_credentials');
  });

  it('deleting a session: cookie requests need the CSRF header and a same-site Origin; the session is revoked and published', async () => {
    const web = await browserLogin();
    const other = await nativeLogin();
    const otherSid = String(decodeJwt(other.at).sid);
    const del = (headers: Record<string, string>, id = otherSid) => s.app.inject({ method: 'DELETE', url: `/auth/sessions/${id}`, headers });
    assertJsonError(await del(cookieHeaders(web, null)), 403, 'csrf_token_missing');
    assertJsonError(await del(cookieHeaders(web, 'nope')), 403, 'csrf_token_mismatch');
    assertJsonError(await del({ ...cookieHeaders(web), origin: 'https://evil.example' }), 403, 'cross_site_request');
    assert.equal((await s.store.sessions.get(otherSid))?.revokedAt, null, 'nothing revoked by refused requests');
    const ok = await del(cookieHeaders(web));
    assert.equal(ok.statusCode, 204);
    assert.equal(setCookies(ok).length, 0, 'deleting another session keeps this one logged in');
    assert.equal((await s.store.sessions.get(otherSid))?.revokeReason, 'session_deleted');
    assertJsonError(await s.app.inject({ method: 'POST', url: '/auth/refresh', headers: JSON_HEADERS, payload: { refresh_token: other.rt } }), 401, 'invalid_refresh_token');
    assert.ok((await s.store.revocations.since(0, 0, 1000)).some((r) => r.sid === otherSid && r.reason === 'session_deleted'));
    assert.ok(!(await list(cookieHeaders(web))).some((r) => r.id === otherSid));
    // Gone now: the same answer as for an unknown id.
    assertJsonError(await del(cookieHeaders(web)), 404, 'session_not_found');
  });

  it("someone else's session id answers 404 exactly like an unknown one and is left alone", async () => {
    const alice = await browserLogin();
    const bob = await browserLogin('bob@example.com');
    const bobSid = String(decodeJwt(bob.at).sid);
    const res = await s.app.inject({ method: 'DELETE', url: `/auth/sessions/${bobSid}`, headers: cookieHeaders(alice) });
    assertJsonError(res, 404, 'session_not_found');
    const unknown = await s.app.inject({ method: 'DELETE', url: `/auth/sessions/${'A'.repeat(22)}`, headers: cookieHeaders(alice) });
    assertJsonError(unknown, 404, 'session_not_found');
    assert.equal(res.json<{ error_description: string }>().error_description, unknown.json<{ error_description: string }>().error_description);
    assert.equal((await s.store.sessions.get(bobSid))?.revokedAt, null);
  });

  it('deleting the current session with cookies clears them; Bearer needs no CSRF header', async () => {
    const web = await browserLogin();
    const res = await s.app.inject({ method: 'DELETE', url: `/auth/sessions/${String(decodeJwt(web.at).sid)}`, headers: cookieHeaders(web) });
    assert.equal(res.statusCode, 204);
    assert.ok(setCookies(res).every((c) => c.includes('Max-Age=0')) && setCookies(res).length === 2);
    const native = await nativeLogin();
    const victim = await nativeLogin();
    const bearer = await s.app.inject({ method: 'DELETE', url: `/auth/sessions/${String(decodeJwt(victim.at).sid)}`, headers: { authorization: `Bearer ${native.at}` } });
    assert.equal(bearer.statusCode, 204);
  });

  it('logout-all revokes every session of the user (publishing each), clears the cookies, leaves other users alone', async () => {
    const web = await browserLogin();
    const native = await nativeLogin();
    const bob = await browserLogin('bob@example.com');
    assertJsonError(await s.app.inject({ method: 'POST', url: '/auth/logout-all', headers: cookieHeaders(web, null) }), 403, 'csrf_token_missing');
    const res = await s.app.inject({ method: 'POST', url: '/auth/logout-all', headers: cookieHeaders(web) });
    assert.equal(res.statusCode, 200);
    const n = res.json<{ sessions_revoked: number }>().sessions_revoked;
    assert.ok(n >= 2);
    assert.ok(setCookies(res).every((c) => c.includes('Max-Age=0')));
    assertJsonError(await s.app.inject({ method: 'GET', url: '/auth/me', headers: { authorization: `Bearer ${native.at}` } }), 401, 'invalid_token');
    assertJsonError(await s.app.inject(refreshRequest(web)), 401, 'invalid_refresh_token');
    const published = (await s.store.revocations.since(0, 0, 1000)).filter((r) => r.reason === 'logout_all').map((r) => r.sid);
    assert.ok(published.includes(String(decodeJwt(web.at).sid)) && published.includes(String(decodeJwt(native.at).sid)));
    assert.equal((await s.app.inject({ method: 'GET', url: '/auth/me', headers: { cookie: `__Host-lk_at=${bob.at}` } })).statusCode, 200);
    // A token-mode client can log out everywhere with its Bearer token.
    const again = await nativeLogin();
    const bearer = await s.app.inject({ method: 'POST', url: '/auth/logout-all', headers: { authorization: `Bearer ${again.at}` } });
    assert.equal(bearer.statusCode, 200);
    assert.equal(bearer.json<{ sessions_revoked: number }>().sessions_revoked, 1);
  });
});

describe('deviceLabel', () => {
  it('names common browsers and systems coarsely', () => {
    const cases: [string | null, string][] = [
      [CHROME_LINUX, 'Chrome on Linux'],
      ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/126.0.0.0 Safari/537.36', 'Headless Chrome on Linux'],
      ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 Edg/126.0', 'Edge on Windows'],
      ['Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15', 'Safari on macOS'],
      ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1', 'Safari on iOS'],
      ['Mozilla/5.0 (Android 14; Mobile; rv:127.0) Gecko/127.0 Firefox/127.0', 'Firefox on Android'],
      ['curl/8.5.0', 'curl'],
      ['node', 'Node.js'],
      ['', 'Unknown device'],
      [null, 'Unknown device'],
      ['\u0000<script>', 'Unknown device'],
    ];
    for (const [ua, label] of cases) assert.equal(deviceLabel(ua), label, String(ua));
  });
});
