import type { ServerConfig } from '../config/defaults.js';
import type { RegisteredClient, Store } from '../store/types.js';
import { registerClient, rotateClientSecret } from '../oauth/client-registry.js';
import { stringOption, UsageError, type ParsedArgs } from './args.js';

/** Where a command writes: stdout lines and stderr lines. */
export interface CliOutput {
  out(line: string): void;
  err(line: string): void;
}

function clientOut(c: RegisteredClient) {
  return {
    client_id: c.id,
    name: c.name,
    scopes: [...c.scopes],
    audiences: [...c.audiences],
    disabled: c.disabled,
    created_at: new Date(c.createdAt).toISOString(),
    secret_updated_at: new Date(c.secretUpdatedAt).toISOString(),
  };
}

/**
 * `latchkey clients create|list|rotate-secret|disable|enable|delete`. Secrets are printed once, by
 * `create` and `rotate-secret`, and never again (only their SHA-256 is stored).
 */
export async function clientsCommand(sub: string | undefined, rest: readonly string[], store: Store, config: ServerConfig, args: ParsedArgs, io: CliOutput): Promise<number> {
  const json = args.options.has('json');
  switch (sub) {
    case 'create': {
      const name = stringOption(args, 'name');
      const scopes = stringOption(args, 'scopes');
      if (name === undefined || scopes === undefined) throw new UsageError('clients create needs --name N --scopes "s1 s2" [--audience A] [--id ID]');
      const audienceArg = stringOption(args, 'audience');
      const audiences = audienceArg === undefined ? [config.audience] : audienceArg.split(/[\s,]+/).filter((a) => a !== '');
      const id = stringOption(args, 'id');
      const { client, secret } = await registerClient(store.clients, { ...(id === undefined ? {} : { id }), name, scopes, audiences }, Date.now());
      if (json) io.out(JSON.stringify({ ...clientOut(client), client_secret: secret }));
      else {
        io.out(`created client "${client.name}"`);
        io.out(`  client_id:     ${client.id}`);
        io.out(`  client_secret: ${secret}`);
        io.out(`  scopes:        ${client.scopes.join(' ')}`);
        io.out(`  audiences:     ${client.audiences.join(' ')}`);
        io.out('The secret is shown only now; store it safely (latchkey keeps only a hash).');
      }
      return 0;
    }
    case 'list': {
      const clients = (await store.clients.list()).map(clientOut);
      if (json) io.out(JSON.stringify(clients));
      else if (clients.length === 0) io.out('no clients');
      else for (const c of clients) io.out(`${c.client_id}  ${c.name}  scopes: ${c.scopes.join(' ')}  audiences: ${c.audiences.join(' ')}${c.disabled ? '  (disabled)' : ''}`);
      return 0;
    }
    case 'rotate-secret': {
      const id = required(rest[0], 'clients rotate-secret <id>');
      const rotated = await rotateClientSecret(store.clients, id, Date.now());
      if (rotated === null) return noSuchClient(io, id);
      if (json) io.out(JSON.stringify({ ...clientOut(rotated.client), client_secret: rotated.secret }));
      else {
        io.out(`new secret for client ${id} (the old one no longer works):`);
        io.out(`  client_secret: ${rotated.secret}`);
      }
      return 0;
    }
    case 'disable':
    case 'enable': {
      const id = required(rest[0], `clients ${sub} <id>`);
      if (!(await store.clients.setDisabled(id, sub === 'disable'))) return noSuchClient(io, id);
      const client = await store.clients.get(id);
      if (json && client !== null) io.out(JSON.stringify(clientOut(client)));
      else io.out(`${sub}d client ${id}`);
      return 0;
    }
    case 'delete': {
      const id = required(rest[0], 'clients delete <id>');
      if (!(await store.clients.delete(id))) return noSuchClient(io, id);
      if (json) io.out(JSON.stringify({ client_id: id, deleted: true }));
      else io.out(`deleted client ${id}`);
      return 0;
    }
    default:
      throw new UsageError(`unknown command "clients ${sub ?? ''}" (try: clients create|list|rotate-secret|disable|enable|delete)`);
  }
}

function required(value: string | undefined, usage: string): string {
  if (value === undefined || value === '') throw new UsageError(`usage: latchkey ${usage}`);
  return value;
}

function noSuchClient(io: CliOutput, id: string): number {
  io.err(`latchkey: no client "${id}"`);
  return 1;
}
