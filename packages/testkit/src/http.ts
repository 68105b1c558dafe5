import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JSONWebKeySet } from 'jose';

/** A response read in full. `json` is the parsed body, or `undefined` when it is not JSON. */
export interface TestResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  readonly json: unknown;
}

/**
 * Sends one HTTP request with exactly the given headers (no cookie jar, no keep-alive, no
 * browser-forbidden-header filtering), and reads the whole response.
 */
export function sendRequest(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: init.method ?? 'GET', headers: init.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** A local JWKS endpoint for tests. */
export interface JwksServer {
  /** Full URL of the key set. */
  readonly url: string;
  /** How many key-set requests arrived so far. */
  requests(): number;
  /** Replaces the served key set. */
  setJwks(jwks: JSONWebKeySet): void;
  /** When true, requests are accepted but never answered (to test timeouts). */
  setHang(hang: boolean): void;
  close(): Promise<void>;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Serves `jwks` at `http://127.0.0.1:<free port>/.well-known/jwks.json`. */
export async function startJwksServer(jwks: JSONWebKeySet): Promise<JwksServer> {
  let current = jwks;
  let hang = false;
  let count = 0;
  const server = createServer((req, res) => {
    count += 1;
    if (hang) return;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(current));
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    requests: () => count,
    setJwks: (next) => {
      current = next;
    },
    setHang: (next) => {
      hang = next;
    },
    close: () => close(server),
  };
}

/** A URL on a loopback port nothing listens on (bound, then released). */
export async function unreachableUrl(path = '/.well-known/jwks.json'): Promise<string> {
  const server = createServer();
  const port = await listen(server);
  await close(server);
  return `http://127.0.0.1:${port}${path}`;
}
