import { availableParallelism } from 'node:os';
import { ServerBusyError } from '../errors.js';
import type { PasswordHasher } from './passwords.js';

export interface HashLimits {
  /** Password hashes (or verifications) running at once. */
  readonly maxConcurrent: number;
  /** Waiting beyond that; one more is refused with `server_busy` (503) instead of queueing without bound. */
  readonly maxQueued: number;
}

/**
 * One core fewer than the machine has (at least one): Argon2id runs on the libuv thread pool, off the
 * event loop, but a burst of logins puts the pool's 4 threads on the cores next to the main thread,
 * which then waits for CPU (event-loop delay p99 of hundreds of ms on 2 cores). Leaving the loop a core
 * keeps it responsive; logins queue instead.
 */
export function defaultHashLimits(): HashLimits {
  const maxConcurrent = Math.max(1, availableParallelism() - 1);
  return { maxConcurrent, maxQueued: 64 * maxConcurrent };
}

/**
 * Wraps a hasher so that at most `maxConcurrent` of its operations run at once, in arrival order, with
 * at most `maxQueued` waiting; past that it throws `ServerBusyError` at once.
 */
export function limitHashing(inner: PasswordHasher, limits: HashLimits): PasswordHasher {
  const max = Math.max(1, Math.floor(limits.maxConcurrent));
  const maxQueued = Math.max(0, Math.floor(limits.maxQueued));
  let running = 0;
  const waiting: (() => void)[] = [];

  const release = (): void => {
    const next = waiting.shift();
    if (next === undefined) running--;
    else next(); // the slot passes straight to the next caller
  };

  const acquire = (): Promise<void> | undefined => {
    if (running < max) {
      running++;
      return undefined;
    }
    if (waiting.length >= maxQueued) throw new ServerBusyError();
    return new Promise<void>((resolve) => waiting.push(resolve));
  };

  const run = async <T>(op: () => Promise<T>): Promise<T> => {
    const wait = acquire();
    if (wait !== undefined) await wait;
    try {
      return await op();
    } finally {
      release();
    }
  };

  return {
    hash: (password) => run(() => inner.hash(password)),
    verify: (passwordHash, password) => run(() => inner.verify(passwordHash, password)),
  };
}
