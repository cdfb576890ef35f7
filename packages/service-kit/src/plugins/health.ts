import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** What one readiness check found. */
export interface HealthStatus {
  ok: boolean;
  detail?: string;
}

export type HealthCheck = () => Promise<HealthStatus>;

export interface HealthOptions {
  service: string;
  version: string;
  /** The readiness conditions by name (database, transport, migrations applied…). */
  checks: Record<string, HealthCheck>;
  /** A check that has not answered in this time counts as failed. */
  checkTimeoutMs?: number;
  /** True once shutdown began: readiness answers 503 at once, without running the checks. */
  isDraining?: () => boolean;
}

async function timed(check: HealthCheck, timeoutMs: number): Promise<HealthStatus> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      check(),
      new Promise<HealthStatus>((resolve) => {
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
 * `/health/live`: the process answers (no I/O). `/health/ready`: every check passes, 503 otherwise.
 * `/health`: the same checks as a summary for humans and the operator's curl.
 */
export const healthPlugin = fp(
  async (app: FastifyInstance, options: HealthOptions) => {
    const started = Date.now();
    const timeoutMs = options.checkTimeoutMs ?? 2000;
    async function runChecks() {
      const names = Object.keys(options.checks);
      const results = await Promise.all(names.map((n) => timed(options.checks[n] as HealthCheck, timeoutMs)));
      const out: Record<string, HealthStatus> = {};
      names.forEach((n, i) => {
        out[n] = results[i] as HealthStatus;
      });
      return { ok: results.every((r) => r.ok), checks: out };
    }
    app.get('/health/live', { logLevel: 'warn' }, async () => ({ status: 'ok' }));
    app.get('/health/ready', { logLevel: 'warn' }, async (_request, reply) => {
      if (options.isDraining?.()) {
        reply.code(503);
        return { status: 'not_ready', checks: { shutdown: { ok: false, detail: 'shutting down' } } };
      }
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
