import type { AddressInfo } from 'node:net';
import { runHostileUrlSuite } from '@latchkey/testkit';
import { SERVER_ERROR_CODES } from '../../src/index.js';
import { makeServer } from '../helpers.js';

// Over a real socket: malformed request lines never reach Fastify's router (Node's parser rejects
// them), and `inject` would normalise what we want to send raw.
runHostileUrlSuite(
  'auth server',
  async () => {
    const s = await makeServer();
    await s.app.listen({ port: 0, host: '127.0.0.1' });
    return { url: `http://127.0.0.1:${(s.app.server.address() as AddressInfo).port}`, close: () => s.close() };
  },
  { routes: ['/auth/me', '/auth/login', '/.well-known/jwks.json', '/healthz'], codes: SERVER_ERROR_CODES },
);
