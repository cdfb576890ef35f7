import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, collectDefaultMetrics, Histogram, type Registry } from 'prom-client';

declare module 'fastify' {
  interface FastifyInstance {
    /** This service's Prometheus registry: add service metrics here. */
    metrics: Registry;
  }
  interface FastifyRequest {
    metricsStartedAt?: bigint;
  }
}

/**
 * Histogram buckets in seconds on the 1–2.5–5 series, from `first` to `last` inclusive:
 * `secondsBuckets(0.001, 5)` is 0.001, 0.0025, 0.005, 0.01, … 2.5, 5. One scale for every latency.
 */
export function secondsBuckets(first: number, last: number): number[] {
  const buckets: number[] = [];
  for (let exponent = Math.floor(Math.log10(first)); ; exponent++) {
    for (const mantissa of [1, 2.5, 5]) {
      const bucket = Number((mantissa * 10 ** exponent).toPrecision(2));
      if (bucket > last) return buckets;
      if (bucket >= first) buckets.push(bucket);
    }
  }
}

/** `/metrics` in Prometheus format; HTTP requests counted and timed by route pattern and status. */
export const metricsPlugin = fp(
  async (app: FastifyInstance, options: { registry: Registry; defaultMetrics?: boolean }) => {
    const registry = options.registry;
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
    const requests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests by method, route and status',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    });
    const latency = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency by method, route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: secondsBuckets(0.001, 2.5),
      registers: [registry],
    });
    app.decorate('metrics', registry);
    app.addHook('onRequest', async (request) => {
      request.metricsStartedAt = process.hrtime.bigint();
    });
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched';
      if (route === '/metrics') return;
      const labels = { method: request.method, route, status: String(reply.statusCode) };
      requests.inc(labels);
      if (request.metricsStartedAt) {
        latency.observe(labels, Number(process.hrtime.bigint() - request.metricsStartedAt) / 1e9);
      }
    });
    app.get('/metrics', { logLevel: 'warn' }, async (_request, reply) => {
      reply.header('content-type', registry.contentType);
      return registry.metrics();
    });
  },
  { name: 'astria-metrics' },
);
