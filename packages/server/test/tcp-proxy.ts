/**
 * A TCP proxy the test controls, between a client and a real PostgreSQL/Redis: `cut()` drops every
 * open connection and refuses new ones (accepted, then closed at once — the port stays ours), like a
 * crashed or restarting service; `restore()` lets traffic through again. Other users of the real
 * service are unaffected.
 */
import { createConnection, createServer, type Socket } from 'node:net';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';

export interface CuttableProxy {
  readonly port: number;
  /** Connections currently proxied. */
  readonly open: number;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startProxy(target: { host: string; port: number }): Promise<CuttableProxy> {
  let down = false;
  const pairs = new Set<[Socket, Socket]>();
  const server = createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    const upstream = createConnection(target);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const cutAll = () => {
    for (const [a, b] of pairs) {
      a.destroy();
      b.destroy();
    }
    pairs.clear();
  };
  return {
    port,
    get open() {
      return pairs.size;
    },
    cut() {
      down = true;
      cutAll();
    },
    restore() {
      down = false;
    },
    async close() {
      down = true;
      cutAll();
      server.close();
      await once(server, 'close');
    },
  };
}
