// The load generator: autocannon in its own process (spawned by run.mjs with IPC), so it never
// shares an event loop with the server it measures. Message { url, method, headers, body,
// duration, connections } → answers { rps, p50, p99, requests, non2xx, errors }.
import autocannon from 'autocannon';

process.on('message', async (job) => {
  if (job.cmd === 'stop') process.exit(0);
  const result = await autocannon({
    url: job.url,
    method: job.method,
    headers: job.headers,
    body: job.body,
    duration: job.duration,
    connections: job.connections,
    pipelining: 1,
  });
  process.send({
    rps: result.requests.total / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  });
});
process.on('disconnect', () => process.exit(0));
process.send({ ready: true });
