import type { Store } from './types.js';

/**
 * Deletes expired sessions and rate-limit counters every `intervalMs` (default 10 min). With several
 * instances each sweeps; the deletes are idempotent. A failed sweep (store down) is reported to
 * `onError` and retried at the next tick. The timer never keeps the process alive.
 */
export function startSweeper(store: Store, now: () => number, onError: (err: unknown) => void, intervalMs = 10 * 60_000): { stop(): void } {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    const t = now();
    Promise.all([store.sessions.deleteExpired(t), store.rateLimits.deleteExpired(t)])
      .catch(onError)
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
