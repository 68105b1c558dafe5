import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** True when this module is the process entry point (`node dist/src/services/cart.js`). */
export function isMain(moduleUrl: string): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}

/** A required environment variable; exits with a clear message naming it when missing. */
export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new Error(`missing environment variable ${name}`);
  }
  return value.trim();
}

/** A TCP port from the environment (0..65535), or `fallback`. */
export function portFromEnv(name: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${name} must be a port number, got ${JSON.stringify(raw)}`);
  return port;
}

/** Comma-separated list from the environment (empty entries dropped). */
export function listFromEnv(name: string, env: NodeJS.ProcessEnv = process.env): string[] {
  return (env[name] ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/**
 * Runs a service entry point: starts it, stops it cleanly on SIGINT/SIGTERM or when the launcher that
 * spawned it goes away (IPC channel closed), and exits non-zero on a start-up failure.
 */
export function runMain(name: string, start: () => Promise<{ close(): Promise<unknown> }>): void {
  start().then(
    (server) => {
      let stopping = false;
      const stop = (): void => {
        if (stopping) return;
        stopping = true;
        server.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      process.once('disconnect', stop);
    },
    (err: unknown) => {
      console.error(`${name}: failed to start: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
