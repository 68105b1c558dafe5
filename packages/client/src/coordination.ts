/**
 * Cross-tab coordination for the browser helper, with graceful fallbacks:
 * - `withLock`: the Web Locks API (`navigator.locks.request`) makes a refresh single-flight across
 *   every tab of the origin; where it is missing, the work just runs (the server's refresh grace
 *   window keeps concurrent refreshes safe, it only costs a request).
 * - `channel`: a `BroadcastChannel` tells other tabs that the session changed (they re-read the CSRF
 *   token from storage and re-arm their proactive refresh); where it is missing, the `storage` event
 *   on the shared keys carries the same news.
 */

interface LockManagerLike {
  request<T>(name: string, options: { mode: 'exclusive' }, callback: () => Promise<T>): Promise<T>;
}

/** Runs `work` while holding the origin-wide lock `name` (or directly, when Web Locks is unavailable). */
export function withLock<T>(name: string, work: () => Promise<T>): Promise<T> {
  const locks = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks;
  if (locks === undefined || typeof locks.request !== 'function') return work();
  return locks.request(name, { mode: 'exclusive' }, work);
}

export type TabMessage = { readonly type: 'refresh' | 'login' | 'logout'; readonly csrf?: string };

export interface TabChannel {
  post(message: TabMessage): void;
  close(): void;
}

interface BroadcastChannelLike {
  postMessage(message: unknown): void;
  close(): void;
  onmessage: ((ev: { data: unknown }) => void) | null;
}

/** Opens the cross-tab channel; `onMessage` receives other tabs' messages (never this tab's own). */
export function openTabChannel(name: string, onMessage: (message: TabMessage) => void): TabChannel {
  const Ctor = (globalThis as { BroadcastChannel?: new (name: string) => BroadcastChannelLike }).BroadcastChannel;
  if (typeof Ctor !== 'function') return { post: () => {}, close: () => {} };
  let channel: BroadcastChannelLike;
  try {
    channel = new Ctor(name);
  } catch {
    return { post: () => {}, close: () => {} };
  }
  // Node (tests, SSR) has BroadcastChannel too, and an open one would keep the process alive.
  (channel as { unref?: () => void }).unref?.();
  channel.onmessage = (ev) => {
    const data = ev.data as { type?: unknown } | null;
    if (data !== null && typeof data === 'object' && (data.type === 'refresh' || data.type === 'login' || data.type === 'logout')) {
      const csrf = (data as { csrf?: unknown }).csrf;
      onMessage(typeof csrf === 'string' && csrf.length <= 256 ? { type: data.type, csrf } : { type: data.type });
    }
  };
  return {
    post: (message) => {
      try {
        channel.postMessage(message);
      } catch {
        // closed or unavailable: the storage event still carries the change
      }
    },
    close: () => channel.close(),
  };
}
