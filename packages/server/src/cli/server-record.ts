import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** `<dataDir>/latchkey.json`: what `latchkey serve` last issued tokens as, for `token inspect` to check against. */
export const SERVER_RECORD_FILE = 'latchkey.json';

export interface ServerRecord {
  readonly issuer: string;
  readonly audience: string;
}

/**
 * Records the issuer and audience the server issues tokens with (written on every `serve` start,
 * mode 0600, replaced atomically). Only a note for the CLI: the server itself never reads it.
 */
export function writeServerRecord(dataDir: string, record: ServerRecord, nowMs: number): void {
  const path = join(dataDir, SERVER_RECORD_FILE);
  const body = { issuer: record.issuer, audience: record.audience, written_by: 'latchkey serve', updated_at: new Date(nowMs).toISOString() };
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}

/** The record, or null when there is none or it is not what `writeServerRecord` writes. */
export function readServerRecord(dataDir: string): ServerRecord | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(join(dataDir, SERVER_RECORD_FILE), 'utf8'));
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const { issuer, audience } = parsed as Record<string, unknown>;
  if (typeof issuer !== 'string' || typeof audience !== 'string' || issuer === '' || audience === '') return null;
  return { issuer, audience };
}
