import type { Database } from '@astria/db';
import type { TransportHealth } from '@astria/events';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export interface HealthOptions {
  service: string;
  version: string;
  database: Database;
  transportHealth: () => Promise<TransportHealth>;
  /** Extra readiness conditions (e.g. migrations applied). */
  extraChecks?: Record<string, () => Promise<TransportHealth>>;
}

async function timed(check: () => Promise<TransportHealth>, timeoutMs: number): Promise<TransportHealth> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      check(),
      new Promise<TransportHealth>((resolve) => {
        timer = setTimeout(() => resolve({ ok: false, detail: `no answer in ${timeoutMs} ms` }), timeoutMs);
      }),
    ]);
  } catch (error) {
    return { ok: false, detail: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `/health/live`: the process answers (no I/O). `/health/ready`: database and transport reachable,
 * 503 otherwise. `/health`: the same checks as a summary for humans and the operator's curl.
 */
export const healthPlugin = fp(
  async (app: FastifyInstance, options: HealthOptions) => {
    const started = Date.now();
    const checks: Record<string, () => Promise<TransportHealth>> = {
      database: async () => {
        await options.database.ping();
        return { ok: true };
      },
      transport: options.transportHealth,
      ...options.extraChecks,
    };
    async function runChecks() {
      const names = Object.keys(checks);
      const results = await Promise.all(names.map((n) => timed(checks[n] as () => Promise<TransportHealth>, 2000)));
      const out: Record<string, TransportHealth> = {};
      names.forEach((n, i) => {
        out[n] = results[i] as TransportHealth;
      });
      return { ok: results.every((r) => r.ok), checks: out };
    }
    app.get('/health/live', { logLevel: 'warn' }, async () => ({ status: 'ok' }));
    app.get('/health/ready', { logLevel: 'warn' }, async (_request, reply) => {
      const { ok, checks: results } = await runChecks();
      reply.code(ok ? 200 : 503);
      return { status: ok ? 'ready' : 'not_ready', checks: results };
    });
    app.get('/health', { logLevel: 'warn' }, async (_request, reply) => {
      const { ok, checks: results } = await runChecks();
      reply.code(ok ? 200 : 503);
      return {
        status: ok ? 'ok' : 'degraded',
        service: options.service,
        version: options.version,
        uptimeSeconds: Math.round((Date.now() - started) / 1000),
        checks: results,
      };
    });
  },
  { name: 'astria-health' },
);
