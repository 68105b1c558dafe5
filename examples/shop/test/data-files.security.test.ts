import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CartStore } from '../src/store/cart-store.js';
import { CustomerStore } from '../src/store/customer-store.js';

test('shop data files are private: the folder 0700, every database file (and its -wal/-shm) 0600, like latchkey.sqlite', () => {
  const parent = mkdtempSync(join(tmpdir(), 'latchkey-shop-perms-'));
  const dataDir = join(parent, 'data');
  try {
    const cart = new CartStore(dataDir);
    const customer = new CustomerStore(dataDir);
    cart.add('someone', 'sencha', 1); // a write creates the WAL
    customer.setName('someone', 'Someone');
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);
    const files = readdirSync(dataDir);
    assert.ok(files.includes('shop-cart.sqlite') && files.includes('shop-customer.sqlite-wal'), files.join(' '));
    for (const file of files) assert.equal((statSync(join(dataDir, file)).mode & 0o777).toString(8), '600', file);
    cart.close();
    customer.close();
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
});
