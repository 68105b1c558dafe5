/** The part of the Web Storage API the client needs; `localStorage` satisfies it. */
export interface TokenStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** Key of the CSRF token in storage (fixed across the system: docs/architecture.md). */
export const CSRF_STORAGE_KEY = 'latchkey.csrf';
/**
 * Key of the access token's expiry *on this device's clock* (epoch ms, computed from the server's
 * `expires_in` at the moment the response arrived), shared by the origin's tabs. Never compared with the
 * server's `expires_at`, so a device clock that is hours off changes nothing.
 */
export const EXPIRY_STORAGE_KEY = 'latchkey.expiry';

/** A storage that lives as long as the page; used when `localStorage` is missing or refused. */
export function memoryStorage(): TokenStorage {
  const map = new Map<string, string>();
  return {
    getItem: (key) => map.get(key) ?? null,
    setItem: (key, value) => void map.set(key, value),
    removeItem: (key) => void map.delete(key),
  };
}

/**
 * `localStorage` when the page may use it. Reading the property throws in some browsers when storage
 * is disabled (and it does not exist in Node), so fall back to memory: the session then lasts until
 * the page reloads, which is the safe failure.
 */
export function defaultStorage(): TokenStorage {
  try {
    const ls = (globalThis as { localStorage?: TokenStorage }).localStorage;
    if (ls) {
      const probe = `${CSRF_STORAGE_KEY}.probe`;
      ls.setItem(probe, '1');
      ls.removeItem(probe);
      return ls;
    }
  } catch {
    // fall through
  }
  return memoryStorage();
}

/** Storage access can throw (quota, disabled storage); a failed write must not break login. */
export function safeGet(storage: TokenStorage, key: string): string | null {
  try {
    return storage.getItem(key);
  } catch {
    return null;
  }
}
export function safeSet(storage: TokenStorage, key: string, value: string): void {
  try {
    storage.setItem(key, value);
  } catch {
    // ignore: the token stays usable for this call only
  }
}
export function safeRemove(storage: TokenStorage, key: string): void {
  try {
    storage.removeItem(key);
  } catch {
    // ignore
  }
}
