import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';

/**
 * `GET /metrics`: Prometheus text exposition (format 0.0.4) of what an operator watches on an auth
 * server — request rate and latency per route, and every error by its stable code, so a spike in
 * `refresh_token_reused`, `invalid_credentials` or `too_many_requests` is visible without reading logs.
 *
 * Labels are bounded by construction: the route *pattern* (never the raw URL), the method, the status
 * and catalogue error codes; nothing a client sends becomes a label. The endpoint exposes counts only
 * (no user, session or token data); like `/healthz` it is meant for the internal network, and the shop
 * gateway does not route it.
 */

const BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] as const;
const errorCodes = new WeakMap<FastifyRequest, string>();

/** Called by the error handler: remembers which catalogue code a request was answered with. */
export function noteErrorCode(request: FastifyRequest, code: string): void {
  errorCodes.set(request, code);
}

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

export class Metrics {
  private readonly requests = new Map<string, number>();
  private readonly errors = new Map<string, number>();
  private readonly durations = new Map<string, Histogram>();
  private readonly startedAt = Date.now();

  observe(route: string, method: string, status: number, seconds: number, errorCode: string | undefined): void {
    const key = `route="${route}",method="${method}",status="${status}"`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    if (errorCode !== undefined) this.errors.set(errorCode, (this.errors.get(errorCode) ?? 0) + 1);
    const hKey = `route="${route}",method="${method}"`;
    let h = this.durations.get(hKey);
    if (h === undefined) {
      h = { counts: BUCKETS_SECONDS.map(() => 0), sum: 0, count: 0 };
      this.durations.set(hKey, h);
    }
    for (let i = 0; i < BUCKETS_SECONDS.length; i++) if (seconds <= (BUCKETS_SECONDS[i] as number)) h.counts[i] = (h.counts[i] ?? 0) + 1;
    h.sum += seconds;
    h.count += 1;
  }

  render(gauges: Record<string, { help: string; value: number }>): string {
    const out: string[] = [];
    out.push('# HELP latchkey_http_requests_total HTTP requests answered, by route pattern, method and status.');
    out.push('# TYPE latchkey_http_requests_total counter');
    for (const [labels, n] of this.requests) out.push(`latchkey_http_requests_total{${labels}} ${n}`);
    out.push('# HELP latchkey_errors_total Error responses by their stable error code (docs/errors.md).');
    out.push('# TYPE latchkey_errors_total counter');
    for (const [code, n] of this.errors) out.push(`latchkey_errors_total{code="${code}"} ${n}`);
    out.push('# HELP latchkey_http_request_duration_seconds Time from request to response, by route pattern and method.');
    out.push('# TYPE latchkey_http_request_duration_seconds histogram');
    for (const [labels, h] of this.durations) {
      BUCKETS_SECONDS.forEach((le, i) => out.push(`latchkey_http_request_duration_seconds_bucket{${labels},le="${le}"} ${h.counts[i] ?? 0}`));
      out.push(`latchkey_http_request_duration_seconds_bucket{${labels},le="+Inf"} ${h.count}`);
      out.push(`latchkey_http_request_duration_seconds_sum{${labels}} ${h.sum}`);
      out.push(`latchkey_http_request_duration_seconds_count{${labels}} ${h.count}`);
    }
    const all = { latchkey_uptime_seconds: { help: 'Seconds since this auth-server process started.', value: (Date.now() - this.startedAt) / 1000 }, ...gauges };
    for (const [name, g] of Object.entries(all)) {
      out.push(`# HELP ${name} ${g.help}`, `# TYPE ${name} gauge`, `${name} ${g.value}`);
    }
    return `${out.join('\n')}\n`;
  }
}

/** Records every response and serves `GET /metrics`. */
export function installMetrics(app: FastifyInstance, ctx: AppContext): Metrics {
  const metrics = new Metrics();
  app.addHook('onResponse', async (request, reply) => {
    // Unmatched requests share one label, so random paths cannot grow the label set.
    const route = request.routeOptions.url ?? 'unmatched';
    const method = route === 'unmatched' ? 'other' : request.method;
    metrics.observe(route, method, reply.statusCode, reply.elapsedTime / 1000, errorCodes.get(request));
  });
  app.get('/metrics', async (_request, reply) => {
    const keys = ctx.keys.jwks().keys.length;
    const body = metrics.render({
      latchkey_signing_keys_published: { help: 'Public keys currently published in the JWKS.', value: keys },
    });
    return reply.header('cache-control', 'no-store').type('text/plain; version=0.0.4; charset=utf-8').send(body);
  });
  return metrics;
}
