// The shop page. Plain ES module, no inline script (the CSP forbids it), DOM built with textContent
// only (never innerHTML with data). Every authenticated call goes through auth.fetch, which adds the
// CSRF header and silently refreshes an expired access token.
import { createLatchkeyClient } from '/assets/latchkey-client.js';

const auth = createLatchkeyClient();
const $ = (id) => document.getElementById(id);
const money = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
const formatPrice = (cents) => money.format(cents / 100);

const state = { products: [], byId: new Map(), user: null, cart: { items: [], total: 0 } };

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'text') node.textContent = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key === 'onClick') node.addEventListener('click', value);
    else if (key === 'onChange') node.addEventListener('change', value);
    else node.setAttribute(key, String(value));
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

function setStatus(text, isError = false) {
  const status = $('status');
  status.textContent = text;
  status.classList.toggle('error', isError);
}

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function api(path, init) {
  const res = await auth.fetch(path, init);
  const body = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) {
    throw new ApiError(res.status, body?.error ?? 'http_error', body?.error_description ?? `HTTP ${res.status}`);
  }
  return body;
}

const MAX_QUANTITY = 99;
const QUANTITY_RULE = `Quantity must be a whole number from 1 to ${MAX_QUANTITY}.`;

// What people read when something fails, by the stable `error` code (docs/errors.md). The servers'
// descriptions are for developers ("body/quantity must be <= 99"); the page never shows them.
const MESSAGES = {
  invalid_credentials: 'Wrong email or password.',
  account_disabled: 'This account is disabled.',
  email_taken: 'An account with this email already exists. Log in instead.',
  invalid_password: 'Choose a password of at least 8 characters.',
  signup_disabled: 'Sign-up is closed on this shop.',
  unknown_product: 'That product is no longer in the catalog.',
  quantity_limit: `At most ${MAX_QUANTITY} of one product per cart.`,
  empty_order: 'Your cart is empty.',
  payload_too_large: 'That is more text than the shop accepts.',
  csrf_token_missing: 'Your session could not be confirmed. Please reload the page.',
  csrf_token_mismatch: 'Your session could not be confirmed. Please reload the page.',
  cross_site_request: 'Your session could not be confirmed. Please reload the page.',
  upstream_unavailable: 'Part of the shop is not answering right now. Please try again in a moment.',
  keys_unavailable: 'Part of the shop is not answering right now. Please try again in a moment.',
  internal_error: 'Something went wrong on our side. Please try again.',
};

/**
 * Plain words for a failure. `context` overrides per code, e.g. `{ invalid_request: QUANTITY_RULE }`
 * where the page knows which field a generic "invalid request" is about.
 */
function explain(err, context = {}) {
  // ApiError (services) and the browser helper's LatchkeyClientError (auth) both carry code + status.
  const code = typeof err?.code === 'string' ? err.code : '';
  const status = typeof err?.status === 'number' ? err.status : 0;
  if (status === 0) return 'The shop could not be reached. Check your connection and try again.';
  if (Object.hasOwn(context, code)) return context[code];
  if (Object.hasOwn(MESSAGES, code)) return MESSAGES[code];
  if (status === 401) return 'Please log in again.';
  if (status === 429) return 'Too many attempts. Please wait a moment and try again.';
  if (status >= 500) return MESSAGES.internal_error;
  return 'That did not work. Please check what you entered and try again.';
}

// ---- rendering ------------------------------------------------------------------------------------

function renderProducts() {
  const list = $('products');
  list.replaceChildren(
    ...state.products.map((p) =>
      el(
        'li',
        { class: 'product', 'data-testid': 'product', dataset: { productId: p.id } },
        el('span', { class: 'emoji', 'aria-hidden': 'true', text: p.emoji }),
        el('span', { class: 'name', text: p.name }),
        el('span', { class: 'category', text: p.category }),
        el('span', { class: 'desc', text: p.description }),
        el(
          'div',
          { class: 'meta' },
          el('strong', { class: 'price', text: formatPrice(p.price) }),
          el('button', {
            type: 'button',
            'data-testid': `add-${p.id}`,
            text: 'Add to cart',
            onClick: () => addToCart(p.id),
          }),
        ),
      ),
    ),
  );
}

function renderCart() {
  const { items, total } = state.cart;
  $('cart').replaceChildren(
    ...items.map((line) => {
      const product = state.byId.get(line.productId);
      const qty = el('input', {
        type: 'number',
        min: '0',
        max: String(MAX_QUANTITY),
        step: '1',
        inputmode: 'numeric',
        value: String(line.quantity),
        title: `1 to ${MAX_QUANTITY}; 0 removes the item`,
        'aria-label': `Quantity of ${product?.name ?? line.productId} (0 removes it)`,
        'data-testid': `qty-${line.productId}`,
        onChange: (ev) => onQuantityInput(line, ev.target),
      });
      return el(
        'li',
        { 'data-testid': 'cart-line', dataset: { productId: line.productId } },
        el('span', { class: 'line-name', text: `${product?.emoji ?? ''} ${product?.name ?? line.productId}` }),
        qty,
        el('span', { text: formatPrice(line.lineTotal) }),
        el('button', {
          type: 'button',
          class: 'link',
          'aria-label': `Remove ${product?.name ?? line.productId}`,
          'data-testid': `remove-${line.productId}`,
          text: '✕',
          onClick: () => removeFromCart(line.productId),
        }),
      );
    }),
  );
  $('cart').dataset.count = String(items.length);
  $('cart-empty').hidden = items.length > 0;
  $('cart-total').textContent = formatPrice(total);
  $('place-order').disabled = items.length === 0;
}

function renderRecommendations(body) {
  const list = $('recommendations');
  list.replaceChildren(
    ...body.recommendations.map((r) =>
      el(
        'li',
        { 'data-testid': 'recommendation', dataset: { productId: r.product.id } },
        el('span', {}, el('span', { text: `${r.product.emoji} ${r.product.name}` }), el('span', { class: 'reason', text: r.reason })),
        el('button', { type: 'button', class: 'secondary', 'data-testid': `rec-add-${r.product.id}`, text: 'Add', onClick: () => addToCart(r.product.id) }),
      ),
    ),
  );
  // Lets tests (and curious people) see which cart the list was computed from.
  list.dataset.basedOn = body.basedOn.join(',');
}

function renderProfile(profile) {
  // Two names on purpose: the shop's display name (customer service) and the account's name (auth
  // server, given at sign-up). They are separate records; the page labels both instead of mixing them.
  $('profile-name').textContent = profile.name ?? 'not set';
  $('account-name').textContent = state.user?.name ?? '—';
  $('profile-email').textContent = profile.email ?? state.user?.email ?? '—';
  $('profile-since').textContent = profile.createdAt ? new Date(profile.createdAt).toLocaleDateString() : '—';
}

function renderOrders(orders) {
  $('orders').replaceChildren(
    ...orders.map((o) =>
      el(
        'li',
        { 'data-testid': 'order', dataset: { orderId: o.id } },
        el('span', {
          text: `${new Date(o.createdAt).toLocaleString()} · ${o.items.reduce((n, i) => n + i.quantity, 0)} item(s)`,
        }),
        el('strong', { text: formatPrice(o.total) }),
      ),
    ),
  );
  $('orders-empty').hidden = orders.length > 0;
}

function renderDevices(sessions) {
  const when = (iso) => new Date(iso).toLocaleString();
  $('devices').replaceChildren(
    ...sessions.map((d) =>
      el(
        'li',
        { 'data-testid': 'device', dataset: { sessionId: d.id, current: String(d.current) } },
        el(
          'span',
          {},
          el('span', { text: d.current ? `${d.device} (this device)` : d.device }),
          el('span', { class: 'reason', text: `signed in ${when(d.created_at)} · last used ${when(d.last_used_at)}` }),
        ),
        el('button', {
          type: 'button',
          class: 'secondary',
          'data-testid': `device-signout-${d.id}`,
          text: 'Sign out',
          onClick: () => endDevice(d),
        }),
      ),
    ),
  );
  $('devices').dataset.count = String(sessions.length);
}

// ---- data -------------------------------------------------------------------------------------------

async function loadDevices() {
  try {
    renderDevices(await auth.sessions());
  } catch (err) {
    setStatus(`Devices unavailable: ${explain(err)}`, true);
  }
}

async function endDevice(session) {
  try {
    await auth.endSession(session);
    if (session.current) {
      showLoggedOut('You signed out this device.');
      return;
    }
    await loadDevices();
    setStatus(`Signed out ${session.device}.`);
  } catch (err) {
    setStatus(explain(err), true);
  }
}

async function loadRecommendations() {
  try {
    renderRecommendations(await api('/api/recommendations'));
  } catch (err) {
    setStatus(`Recommendations unavailable: ${explain(err)}`, true);
  }
}

async function applyCart(cart) {
  state.cart = cart;
  renderCart();
  await loadRecommendations();
}

async function loadAccount() {
  const [cart, profile, orders] = await Promise.all([
    api('/api/cart'),
    api('/api/customer/profile'),
    api('/api/customer/orders'),
  ]);
  renderProfile(profile.profile);
  renderOrders(orders.orders);
  await applyCart(cart);
  await loadDevices();
}

async function mutate(work, done, context) {
  try {
    await work();
    if (done) setStatus(done);
  } catch (err) {
    setStatus(explain(err, context), true);
  }
}

function requireLogin() {
  if (state.user) return true;
  setStatus('Log in or create an account to use the cart.', true);
  $('login-email').focus();
  return false;
}

const addToCart = (productId) =>
  requireLogin() &&
  mutate(async () => {
    const cart = await api('/api/cart/items', { method: 'POST', body: JSON.stringify({ productId, quantity: 1 }) });
    await applyCart(cart);
  }, `Added ${state.byId.get(productId)?.name ?? productId} to your cart.`);

const setQuantity = (productId, quantity, done = 'Cart updated.') =>
  mutate(async () => {
    try {
      const cart = await api(`/api/cart/items/${encodeURIComponent(productId)}`, {
        method: 'PUT',
        body: JSON.stringify({ quantity }),
      });
      await applyCart(cart);
    } catch (err) {
      renderCart(); // the field shows the quantity the cart really has
      throw err;
    }
  }, done, { invalid_request: QUANTITY_RULE });

/** A typed quantity: 0 removes the line, over 99 becomes 99, anything else not 1..99 is refused on the spot. */
function onQuantityInput(line, input) {
  const raw = input.value.trim();
  const typed = raw === '' ? Number.NaN : Number(raw);
  if (!Number.isInteger(typed) || typed < 0) {
    input.value = String(line.quantity);
    setStatus(QUANTITY_RULE, true);
    return;
  }
  if (typed === 0) {
    removeFromCart(line.productId);
    return;
  }
  const quantity = Math.min(typed, MAX_QUANTITY);
  input.value = String(quantity);
  const note = quantity < typed ? `At most ${MAX_QUANTITY} of one product: set to ${MAX_QUANTITY}.` : 'Cart updated.';
  if (quantity === line.quantity) {
    setStatus(note, false);
    return;
  }
  setQuantity(line.productId, quantity, note);
}

const removeFromCart = (productId) =>
  mutate(async () => {
    const cart = await api(`/api/cart/items/${encodeURIComponent(productId)}`, { method: 'DELETE' });
    await applyCart(cart);
  }, `Removed ${state.byId.get(productId)?.name ?? productId}.`);

async function placeOrder() {
  await mutate(async () => {
    const items = state.cart.items.map(({ productId, quantity }) => ({ productId, quantity }));
    const { order } = await api('/api/customer/orders', { method: 'POST', body: JSON.stringify({ items }) });
    let cart = state.cart;
    for (const item of items) {
      cart = await api(`/api/cart/items/${encodeURIComponent(item.productId)}`, { method: 'DELETE' });
    }
    renderOrders((await api('/api/customer/orders')).orders);
    await applyCart(cart);
    setStatus(`Order placed: ${formatPrice(order.total)}.`);
  });
}

// ---- session ---------------------------------------------------------------------------------------

function showLoggedIn(user) {
  state.user = user;
  $('user-email').textContent = user.email;
  $('session').hidden = false;
  $('auth').hidden = true;
  $('account').hidden = false;
  document.body.dataset.auth = 'in';
}

function showLoggedOut(message) {
  state.user = null;
  state.cart = { items: [], total: 0 };
  $('session').hidden = true;
  $('auth').hidden = false;
  $('account').hidden = true;
  $('cart').replaceChildren();
  $('recommendations').replaceChildren();
  $('orders').replaceChildren();
  $('devices').replaceChildren();
  document.body.dataset.auth = 'out';
  if (message) setStatus(message);
}

async function enter() {
  const me = await auth.me();
  showLoggedIn(me.user);
  showRefreshPlan();
  await loadAccount();
}

auth.onChange((change) => {
  if (!change.authenticated && change.reason !== 'user') showLoggedOut('Your session ended. Please log in again.');
  showRefreshPlan();
});

// Shows when the silent refresh is planned (seconds from now, on this device's clock) — handy when a
// device clock is wrong: the plan is computed from the server's expires_in, so it stays right.
function showRefreshPlan() {
  const at = auth.nextRefreshAt();
  document.body.dataset.refreshInS = at === null ? '' : String(Math.round((at - Date.now()) / 1000));
}

$('login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const form = ev.currentTarget;
  const email = form.elements.email.value.trim();
  const password = form.elements.password.value;
  try {
    await auth.login({ email, password });
    form.reset();
    await enter();
    setStatus(`Welcome back${state.user?.name ? `, ${state.user.name}` : ''}!`);
  } catch (err) {
    setStatus(explain(err, { invalid_request: 'Enter your email address and password.' }), true);
  }
});

const EMAIL = /^[^\s@]+@[^\s@]+$/;

/** The sign-up rules the server applies, checked here first so the answer is immediate and in plain words. */
function signupProblem({ email, password, name }) {
  if (email.length < 3 || email.length > 254 || !EMAIL.test(email)) return 'Please enter a valid email address, like name@example.com.';
  if (password.length < 8) return 'Choose a password of at least 8 characters.';
  if (name.length > 100) return 'Please keep your name under 100 characters.';
  return null;
}

$('signup-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const form = ev.currentTarget;
  const email = form.elements.email.value.trim();
  const password = form.elements.password.value;
  const name = form.elements.name.value.trim();
  const problem = signupProblem({ email, password, name });
  if (problem) {
    setStatus(problem, true);
    return;
  }
  try {
    await auth.signup(name ? { email, password, name } : { email, password });
    form.reset();
    $('login-email').value = email;
    $('login-password').focus();
    setStatus('Account created. Log in with your new password.');
  } catch (err) {
    setStatus(explain(err, { invalid_request: 'Please enter a valid email address, like name@example.com.' }), true);
  }
});

$('logout').addEventListener('click', async () => {
  try {
    await auth.logout();
  } catch {
    // Logged out locally either way.
  }
  showLoggedOut('You are logged out.');
});

$('place-order').addEventListener('click', () => placeOrder());

$('logout-all').addEventListener('click', async () => {
  try {
    const n = await auth.logoutEverywhere();
    showLoggedOut(`Logged out everywhere (${n} session${n === 1 ? '' : 's'}).`);
  } catch (err) {
    setStatus(explain(err), true);
  }
});

$('profile-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const input = $('profile-name-input');
  await mutate(async () => {
    const { profile } = await api('/api/customer/profile', { method: 'PUT', body: JSON.stringify({ name: input.value.trim() }) });
    renderProfile(profile);
    input.value = '';
  }, 'Profile saved.', { invalid_request: 'A display name is at most 100 characters, without control characters.' });
});

async function start() {
  try {
    const res = await fetch('/api/products');
    state.products = (await res.json()).products;
    state.byId = new Map(state.products.map((p) => [p.id, p]));
    renderProducts();
  } catch {
    setStatus('Could not load the catalog.', true);
  }
  if (auth.csrfToken() === null) {
    showLoggedOut();
  } else {
    try {
      await enter();
    } catch {
      showLoggedOut();
    }
  }
  document.body.dataset.ready = 'true';
}

start();
