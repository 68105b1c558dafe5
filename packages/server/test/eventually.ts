/**
 * Retries `check` until it stops throwing, for conditions with no event to await (a client
 * reconnecting by itself after a proxy comes back). Bounded: fails with the last error.
 */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 15_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }
}
