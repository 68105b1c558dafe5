import type { FastifyRequest } from 'fastify';
import type { ServerConfig } from '../config/defaults.js';
import { CrossSiteRequestError } from '../errors.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Defence in depth for cookie endpoints (DESIGN.md §3): an unsafe request whose `Sec-Fetch-Site` says
 * `cross-site`, or whose `Origin` is `null` or not one we serve, is refused before any handler runs.
 * Allowed origins: the issuer's, the configured CORS origins, and the request's own Host.
 * Requests without `Origin` (non-browser clients) pass; they cannot carry the victim's cookies by accident.
 */
export function assertSameSite(request: FastifyRequest, config: ServerConfig): void {
  if (SAFE_METHODS.has(request.method)) return;
  const origin = single(request.headers.origin);
  const fetchSite = single(request.headers['sec-fetch-site']);
  const listed = origin !== undefined && config.corsOrigins.includes(origin);
  if (fetchSite === 'cross-site' && !listed) throw new CrossSiteRequestError();
  if (origin === undefined) return;
  if (origin === 'null') throw new CrossSiteRequestError();
  if (listed || origin === new URL(config.issuer).origin) return;
  if (origin === `${request.protocol}://${request.host}`) return;
  throw new CrossSiteRequestError();
}

function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
