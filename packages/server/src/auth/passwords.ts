import { hash, verify } from '@node-rs/argon2';
import { randomBytes } from 'node:crypto';

/** Hashes and checks passwords. Swappable (tests, future algorithms) through `buildApp` deps. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(passwordHash: string, password: string): Promise<boolean>;
}

// OWASP Password Storage Cheat Sheet minimum for Argon2id: m=19 MiB, t=2, p=1.
// @node-rs/argon2 defaults to Argon2id and runs on the libuv thread pool (off the event loop).
const OPTIONS = { memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export const argon2idHasher: PasswordHasher = {
  hash: (password) => hash(password, OPTIONS),
  async verify(passwordHash, password) {
    try {
      return await verify(passwordHash, password);
    } catch {
      return false;
    }
  },
};

/**
 * A real hash of a random password, computed once, verified against when the email is unknown so that
 * "no such user" costs the same time as "wrong password" (no user enumeration by timing).
 */
export function dummyHashFor(hasher: PasswordHasher): () => Promise<string> {
  let pending: Promise<string> | undefined;
  return () => {
    if (pending === undefined) {
      const p = hasher.hash(randomBytes(32).toString('base64url'));
      pending = p;
      // A refused attempt (server_busy under a burst) must not stick: the next login tries again.
      p.catch(() => {
        if (pending === p) pending = undefined;
      });
    }
    return pending;
  };
}
