// Hybrid sessions in a real browser (headless Chromium): two tabs refreshing at once, a stolen refresh
// cookie replayed from another browser, a device clock hours off, and the "Your devices" card.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page, type Response as PwResponse } from 'playwright-core';
import { startTestShop } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium && process.env['CI'] === 'true') {
  throw new Error(`${CHROMIUM} is missing and CI=true: install Debian's chromium (apt-get install -y chromium)`);
}
const skip = hasChromium ? false : `${CHROMIUM} not found: end-to-end browser tests skipped (apt-get install -y chromium)`;

let env: Awaited<ReturnType<typeof startTestShop>> | undefined;
let browser: Browser | undefined;
let shopUrl = '';

before(async () => {
  if (skip) return;
  env = await startTestShop();
  shopUrl = env.shop.url;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  await env?.close();
});

async function openShop(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (err) => {
    throw err;
  });
  await page.goto(shopUrl);
  await page.locator('body[data-ready="true"]').waitFor();
  return page;
}

let users = 0;
const PASSWORD = 'a perfectly long passphrase';
async function newUser(page: Page): Promise<string> {
  users += 1;
  const email = `tabs${users}-${Date.now()}@example.com`;
  const res = await page.evaluate(
    async ({ email, password }) => (await fetch('/auth/signup', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) })).status,
    { email, password: PASSWORD },
  );
  assert.equal(res, 201);
  return email;
}
async function login(page: Page, email: string): Promise<void> {
  await page.getByTestId('login-email').fill(email);
  await page.getByTestId('login-password').fill(PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('user-email').filter({ hasText: email }).waitFor();
  await page.locator('[data-testid="devices"][data-count]').waitFor({ state: 'attached' });
}

/** Every `/auth/refresh` answer seen by the context. */
function watchRefreshes(context: BrowserContext): number[] {
  const statuses: number[] = [];
  context.on('response', (res: PwResponse) => {
    if (new URL(res.url()).pathname === '/auth/refresh') statuses.push(res.status());
  });
  return statuses;
}

const serverCart = (page: Page): Promise<{ status: number; ids: string[] }> =>
  page.evaluate(async () => {
    const res = await fetch('/api/cart', { credentials: 'same-origin' });
    const body = (await res.json()) as { items?: { productId: string }[] };
    return { status: res.status, ids: (body.items ?? []).map((i) => i.productId) };
  });

async function refreshCookie(context: BrowserContext): Promise<string> {
  const c = (await context.cookies(`${shopUrl}/auth/refresh`)).find((x) => x.name === '__Secure-lk_rt');
  assert.ok(c, 'refresh cookie present');
  return c.value;
}

/** Both tabs hit an expired access token at the same moment → both refresh (or one does, via Web Locks). */
async function raceTwoTabs(context: BrowserContext, a: Page, b: Page, productA: string, productB: string): Promise<void> {
  await context.clearCookies({ name: '__Host-lk_at' });
  await Promise.all([a.getByTestId(`add-${productA}`).click(), b.getByTestId(`add-${productB}`).click()]);
  try {
    await a.locator(`[data-testid="cart-line"][data-product-id="${productA}"]`).waitFor();
    await b.locator(`[data-testid="cart-line"][data-product-id="${productB}"]`).waitFor();
  } catch (err) {
    throw new Error(`tabs: a="${await a.locator('#status').textContent()}" b="${await b.locator('#status').textContent()}"`, { cause: err });
  }
}

for (const withLocks of [true, false]) {
  test(`two tabs refreshing at the same moment both stay logged in (${withLocks ? 'Web Locks: one refresh' : 'no Web Locks: the server grace window answers both'})`, { skip, timeout: 90_000 }, async () => {
    const context = await browser!.newContext();
    if (!withLocks) {
      await context.addInitScript(() => {
        Object.defineProperty(Navigator.prototype, 'locks', { get: () => undefined, configurable: true });
      });
    }
    try {
      const refreshes = watchRefreshes(context);
      const a = await openShop(context);
      const email = await newUser(a);
      await login(a, email);
      const b = await openShop(context);
      await b.getByTestId('user-email').filter({ hasText: email }).waitFor();
      assert.equal(await b.evaluate(() => 'locks' in navigator && navigator.locks !== undefined), withLocks);

      await raceTwoTabs(context, a, b, 'espresso-beans', 'sencha');
      assert.ok(refreshes.length >= 1, 'a refresh happened');
      assert.ok(refreshes.every((s) => s === 200), `every refresh succeeded: ${refreshes.join()}`);
      // Web Locks make the refresh single-flight across tabs; a second one can still happen when the
      // first tab's localStorage write reaches the second tab after the lock does (it then succeeds
      // through the server's grace window). Never more than one per tab.
      assert.ok(refreshes.length <= 2, `at most one refresh per tab: ${refreshes.length}`);
      for (const page of [a, b]) {
        assert.equal(await page.locator('body').getAttribute('data-auth'), 'in');
        const cart = await serverCart(page);
        assert.equal(cart.status, 200);
        assert.deepEqual(cart.ids.sort(), ['espresso-beans', 'sencha']);
      }
      // Both tabs hold the same, current CSRF token: a write from either still passes the CSRF rule.
      await b.getByTestId('add-pothos').click();
      await b.locator('[data-testid="cart-line"][data-product-id="pothos"]').waitFor();
    } finally {
      await context.close();
    }
  });
}

test('a third browser replaying the stolen pre-rotation refresh cookie after rotation kills the session for everyone', { skip, timeout: 90_000 }, async () => {
  const context = await browser!.newContext();
  const thiefContext = await browser!.newContext();
  try {
    const a = await openShop(context);
    const email = await newUser(a);
    await login(a, email);
    const b = await openShop(context);
    await b.getByTestId('user-email').filter({ hasText: email }).waitFor();
    // The thief copies the refresh cookie (and the CSRF value) before the tabs rotate it.
    const stolen = await refreshCookie(context);
    const stolenCsrf = await a.evaluate(() => localStorage.getItem('latchkey.csrf'));
    await raceTwoTabs(context, a, b, 'espresso-beans', 'sencha'); // rotation 1 (both tabs share its successor)
    await context.clearCookies({ name: '__Host-lk_at' });
    await a.getByTestId('add-pothos').click(); // rotation 2: the stolen token is now two rotations old, outside any grace
    await a.locator('[data-testid="cart-line"][data-product-id="pothos"]').waitFor();
    assert.notEqual(await refreshCookie(context), stolen);

    await thiefContext.addCookies([{ name: '__Secure-lk_rt', value: stolen, domain: 'localhost', path: '/auth', secure: true, httpOnly: true, sameSite: 'Strict' }]);
    const thief = await openShop(thiefContext);
    const replay = await thief.evaluate(async (csrf) => {
      const res = await fetch('/auth/refresh', { method: 'POST', headers: { 'x-csrf-token': csrf ?? '' } });
      return { status: res.status, body: (await res.json()) as { error: string } };
    }, stolenCsrf);
    assert.equal(replay.status, 401);
    assert.equal(replay.body.error, 'refresh_token_reused');

    // The legitimate tabs: their access token is refused at once (revocation feed), their refresh too.
    await b.getByTestId('add-moka-pot').click();
    await b.locator('body[data-auth="out"]').waitFor();
    await a.getByTestId('add-moka-pot').click();
    await a.locator('body[data-auth="out"]').waitFor();
    const after = await serverCart(a);
    assert.equal(after.status, 401);
  } finally {
    await thiefContext.close();
    await context.close();
  }
});

for (const hours of [6, -6]) {
  test(`a device clock ${hours > 0 ? 'ahead' : 'behind'} by ${Math.abs(hours)} hours: the refresh is planned from the server's expires_in, no storm, refresh still works`, { skip, timeout: 90_000 }, async () => {
    const context = await browser!.newContext();
    await context.addInitScript((offsetMs: number) => {
      const RealDate = Date;
      class SkewedDate extends RealDate {
        constructor(...args: ConstructorParameters<DateConstructor> | []) {
          if (args.length === 0) super(RealDate.now() + offsetMs);
          else super(...(args as ConstructorParameters<DateConstructor>));
        }
        static override now(): number {
          return RealDate.now() + offsetMs;
        }
      }
      globalThis.Date = SkewedDate as DateConstructor;
    }, hours * 3_600_000);
    try {
      const refreshes = watchRefreshes(context);
      const page = await openShop(context);
      const skewed = await page.evaluate(() => Date.now());
      assert.ok(Math.abs(skewed - Date.now() - hours * 3_600_000) < 60_000, 'the page sees the skewed clock');
      const email = await newUser(page);
      await login(page, email);
      // 600 s access tokens: the plan is ~535–540 s ahead whatever the device clock says.
      const plan = Number(await page.locator('body').getAttribute('data-refresh-in-s'));
      assert.ok(plan >= 530 && plan <= 541, `refresh planned in ${plan} s`);
      await page.getByTestId('add-espresso-beans').click();
      await page.locator('[data-testid="cart-line"][data-product-id="espresso-beans"]').waitFor();
      assert.equal(refreshes.length, 0, 'no refresh storm: nothing refreshed while the token is fresh');
      // An expired access token (cookie gone) is refreshed once and the action goes through.
      await context.clearCookies({ name: '__Host-lk_at' });
      await page.getByTestId('add-sencha').click();
      await page.locator('[data-testid="cart-line"][data-product-id="sencha"]').waitFor();
      assert.deepEqual(refreshes, [200]);
      assert.equal(await page.locator('body').getAttribute('data-auth'), 'in');
      const next = Number(await page.locator('body').getAttribute('data-refresh-in-s'));
      assert.ok(next >= 530 && next <= 541, `re-planned in ${next} s`);
    } finally {
      await context.close();
    }
  });
}

test('"Your devices" on the profile: lists both devices, signs out the other one (its next request is refused), then logs out everywhere', { skip, timeout: 90_000 }, async () => {
  const laptop = await browser!.newContext();
  const phone = await browser!.newContext({ userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1' });
  try {
    const a = await openShop(laptop);
    const email = await newUser(a);
    await login(a, email);
    const p = await openShop(phone);
    await login(p, email);
    await a.reload();
    await a.locator('[data-testid="devices"][data-count="2"]').waitFor({ state: 'attached' });
    const current = a.locator('[data-testid="device"][data-current="true"]');
    assert.match((await current.textContent()) ?? '', /Headless Chrome on Linux \(this device\)/);
    const other = a.locator('[data-testid="device"][data-current="false"]');
    assert.match((await other.textContent()) ?? '', /Safari on iOS/);

    await other.getByRole('button', { name: 'Sign out' }).click();
    await a.locator('[data-testid="devices"][data-count="1"]').waitFor({ state: 'attached' });
    // The phone's access token is still unexpired, but every service refuses it now.
    await p.getByTestId('add-espresso-beans').click();
    await p.locator('body[data-auth="out"]').waitFor();

    await a.getByTestId('logout-all').click();
    await a.locator('body[data-auth="out"]').waitFor();
    assert.equal((await serverCart(a)).status, 401);
  } finally {
    await laptop.close();
    await phone.close();
  }
});
