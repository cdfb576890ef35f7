/**
 * The post-deployment validation checklist (docs/operations/validation.md) as checks over HTTP: each check
 * answers pass/fail/skip with a detail line. Pure over `fetch`: no cluster access needed, so it runs the
 * same against a port-forward, the ingress or the local sandbox.
 */

export type ServiceKey = 'message' | 'image' | 'payment' | 'maintenance';

export interface Target {
  /** Base URL of each service (its health, metrics and own routes). */
  services: Partial<Record<ServiceKey, string>>;
  /** Where the public endpoints are reached: the ingress host, or each service's own URL. */
  publicUrls: { whatsapp?: string; payments?: string; astria?: string };
  /** The WhatsApp verify token (the handshake); the check is skipped without it. */
  verifyToken?: string;
  /** No maintenance run yet is a skip (a fresh sandbox), not a failure. */
  allowNoRuns?: boolean;
  timeoutMs?: number;
  /** How long the broker round trip may take (POST /ops/ping on payment, until message-service handled it). */
  pingTimeoutMs?: number;
  /** The dead-letter counts are read twice, this far apart (default 30 s). */
  deadLetterWindowMs?: number;
  /** The Kubernetes API (e.g. `kubectl proxy`): the maintenance CronJobs' last successful run. */
  kube?: { apiUrl: string; namespace: string; token?: string };
  now?: () => Date;
}

export interface CheckResult {
  check: string;
  result: 'pass' | 'fail' | 'skip';
  detail: string;
}

/** The metrics the operators' dashboard and alerts read on every service (alerts.md). */
export const COMMON_METRICS = [
  'http_requests_total',
  'outbox_pending_events',
  'outbox_relay_lag_seconds',
  'event_deliveries_total',
  'astria_event_broker_latency_seconds',
];
/** The metrics each service adds of its own. */
export const SERVICE_METRICS: Partial<Record<ServiceKey, string[]>> = {
  message: ['whatsapp_'],
  image: ['image_'],
  payment: ['payment_'],
};
/** How old the last successful run may be (the CronJob schedules plus slack). */
export const MAX_RUN_AGE_MS = { reconcile: 60 * 60_000, cleanup: 8 * 24 * 60 * 60_000 };
/** The maintenance CronJobs (infra/kubernetes/base/maintenance-cronjobs.yaml). */
export const MAINTENANCE_CRONJOBS = { reconcile: 'maintenance-reconcile', cleanup: 'maintenance-cleanup' };
export const DEFAULT_PING_TIMEOUT_MS = 30_000;
export const DEFAULT_DEAD_LETTER_WINDOW_MS = 30_000;
const PING_POLL_MS = 250;

async function request(
  url: string,
  init: RequestInit & { timeoutMs?: number } = {},
): Promise<{ status: number; body: string; ms: number }> {
  const started = performance.now();
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(init.timeoutMs ?? 10_000) });
  const body = await response.text();
  return { status: response.status, body, ms: Math.round(performance.now() - started) };
}

async function check(name: string, run: () => Promise<Omit<CheckResult, 'check'>>): Promise<CheckResult> {
  try {
    return { check: name, ...(await run()) };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { check: name, result: 'fail', detail: cause?.code ?? cause?.message ?? (error as Error).message };
  }
}

const verdict = (ok: boolean, detail: string): Omit<CheckResult, 'check'> => ({ result: ok ? 'pass' : 'fail', detail });

/** Every check of the checklist that can be made over HTTP, in the checklist's order. */
export async function runChecklist(target: Target): Promise<CheckResult[]> {
  const timeoutMs = target.timeoutMs ?? 10_000;
  const now = target.now ?? (() => new Date());
  const services = Object.entries(target.services) as Array<[ServiceKey, string]>;
  const checks: Array<Promise<CheckResult>> = [];

  for (const [service, base] of services) {
    for (const probe of ['live', 'ready'] as const) {
      checks.push(
        check(`${service}: ${probe}`, async () => {
          const r = await request(`${base}/health/${probe}`, { timeoutMs });
          // ready queries PostgreSQL and the broker: it is also the "database answers" check.
          return verdict(
            r.status === 200,
            `${r.status} in ${r.ms} ms${r.status === 200 ? '' : `: ${r.body.slice(0, 200)}`}`,
          );
        }),
      );
    }
  }

  const { whatsapp, payments, astria } = target.publicUrls;
  if (whatsapp) {
    checks.push(
      check('whatsapp handshake with the verify token', async () => {
        if (!target.verifyToken) return { result: 'skip', detail: 'no --verify-token (WHATSAPP_VERIFY_TOKEN)' };
        const query = new URLSearchParams({
          'hub.mode': 'subscribe',
          'hub.verify_token': target.verifyToken,
          'hub.challenge': '4242',
        });
        const r = await request(`${whatsapp}/whatsapp/webhook?${query}`, { timeoutMs });
        return verdict(
          r.status === 200 && r.body === '4242',
          `${r.status}, body ${JSON.stringify(r.body.slice(0, 40))}`,
        );
      }),
      expectStatus('whatsapp unsigned POST refused', `${whatsapp}/whatsapp/webhook`, 401, timeoutMs),
    );
  }
  if (payments) {
    checks.push(
      expectStatus('SUMIT webhook without token refused', `${payments}/payment-received`, 401, timeoutMs),
      expectStatus('Stripe webhook unsigned refused', `${payments}/stripe/webhook`, 400, timeoutMs),
    );
  }
  if (astria) {
    checks.push(
      expectStatus('Astria callback with a bad token refused', `${astria}/tune-trained?token=bad`, 401, timeoutMs),
    );
  }

  for (const [service, base] of services) {
    if (service === 'maintenance') continue;
    checks.push(
      check(`${service}: metrics`, async () => {
        const r = await request(`${base}/metrics`, { timeoutMs });
        if (r.status !== 200) return verdict(false, `${r.status}`);
        const names = new Set([...r.body.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1] as string));
        const missing = COMMON_METRICS.filter((m) => !names.has(m));
        for (const prefix of SERVICE_METRICS[service] ?? []) {
          if (![...names].some((n) => n.startsWith(prefix))) missing.push(`${prefix}*`);
        }
        return verdict(
          missing.length === 0,
          missing.length ? `missing ${missing.join(', ')}` : `${names.size} metrics`,
        );
      }),
    );
  }

  const { message, payment } = target.services;
  if (message && payment) checks.push(brokerRoundTrip(payment, message, target, timeoutMs));
  if (services.length) checks.push(deadLettersNotGrowing(services, target, timeoutMs));

  const maintenance = target.services.maintenance;
  if (maintenance) {
    checks.push(
      check('maintenance: last cleanup and reconcile succeeded recently', async () => {
        const r = await request(`${maintenance}/runs?limit=100`, { timeoutMs });
        if (r.status !== 200) return verdict(false, `GET /runs: ${r.status}`);
        const { runs } = JSON.parse(r.body) as {
          runs: Array<{
            command: string;
            status: string;
            dryRun: boolean;
            startedAt: string;
            finishedAt: string | null;
          }>;
        };
        const last = Object.fromEntries(
          COMMANDS.map((command) => {
            const run = runs.find((run) => run.command === command && !run.dryRun && run.status !== 'running');
            return [command, run && { status: run.status, at: Date.parse(run.finishedAt ?? run.startedAt) }];
          }),
        ) as LastRuns;
        return judgeRuns(last, now(), target.allowNoRuns ?? false);
      }),
    );
  }
  if (target.kube) checks.push(cronJobsSucceeded(target.kube, now, timeoutMs));

  return Promise.all(checks);
}

const COMMANDS = ['reconcile', 'cleanup'] as const;
type LastRuns = Record<(typeof COMMANDS)[number], { status: string; at: number } | undefined>;

/** Each command's last finished run must have succeeded within MAX_RUN_AGE_MS. */
function judgeRuns(last: LastRuns, now: Date, allowNoRuns: boolean): Omit<CheckResult, 'check'> {
  const problems: string[] = [];
  const seen: string[] = [];
  for (const command of COMMANDS) {
    const run = last[command];
    if (!run) {
      if (!allowNoRuns) problems.push(`${command}: no run`);
      continue;
    }
    const age = now.getTime() - run.at;
    if (run.status !== 'succeeded') problems.push(`${command}: last run ${run.status}`);
    else if (age > MAX_RUN_AGE_MS[command])
      problems.push(`${command}: last success ${Math.round(age / 60_000)} min ago`);
    else seen.push(`${command} ${Math.round(age / 60_000)} min ago`);
  }
  if (problems.length) return verdict(false, problems.join('; '));
  return seen.length ? verdict(true, seen.join(', ')) : { result: 'skip', detail: 'no run yet' };
}

interface CronJob {
  metadata: { name: string };
  status?: { lastScheduleTime?: string; lastSuccessfulTime?: string; active?: unknown[] };
}

/**
 * In the cluster maintenance runs as CronJobs (no /runs to ask): their status says when each last
 * succeeded; a schedule newer than the last success with no job still active is a failed run.
 */
function cronJobsSucceeded(kube: NonNullable<Target['kube']>, now: () => Date, timeoutMs: number) {
  return check('kubernetes: maintenance CronJobs succeeded recently', async () => {
    const url = `${kube.apiUrl.replace(/\/$/, '')}/apis/batch/v1/namespaces/${encodeURIComponent(kube.namespace)}/cronjobs`;
    const r = await request(url, {
      timeoutMs,
      headers: { accept: 'application/json', ...(kube.token ? { authorization: `Bearer ${kube.token}` } : {}) },
    });
    if (r.status !== 200) return verdict(false, `GET ${url}: ${r.status}`);
    const { items } = JSON.parse(r.body) as { items: CronJob[] };
    const last = {} as LastRuns;
    for (const command of COMMANDS) {
      const job = items.find((item) => item.metadata.name === MAINTENANCE_CRONJOBS[command]);
      if (!job) return verdict(false, `no CronJob ${MAINTENANCE_CRONJOBS[command]} in ${kube.namespace}`);
      const success = job.status?.lastSuccessfulTime ? Date.parse(job.status.lastSuccessfulTime) : undefined;
      const scheduled = job.status?.lastScheduleTime ? Date.parse(job.status.lastScheduleTime) : undefined;
      const running = (job.status?.active?.length ?? 0) > 0;
      if (scheduled !== undefined && !running && (success === undefined || scheduled > success)) {
        last[command] = { status: 'failed', at: scheduled };
      } else if (success !== undefined) {
        last[command] = { status: 'succeeded', at: success };
      }
    }
    return judgeRuns(last, now(), false);
  });
}

/** POST /ops/ping on payment-service, then GET /ops/ping/:id on message-service until it was handled. */
function brokerRoundTrip(payment: string, message: string, target: Target, timeoutMs: number) {
  return check('broker round trip (ops_ping)', async () => {
    const started = performance.now();
    const sent = await request(`${payment}/ops/ping`, {
      method: 'POST',
      body: JSON.stringify({ requestedBy: 'pnpm validate' }),
      headers: { 'content-type': 'application/json' },
      timeoutMs,
    });
    if (sent.status !== 202) return verdict(false, `POST /ops/ping: ${sent.status} ${sent.body.slice(0, 200)}`);
    const { id, occurredAt } = JSON.parse(sent.body) as { id: string; occurredAt: string };
    const deadline = started + (target.pingTimeoutMs ?? DEFAULT_PING_TIMEOUT_MS);
    for (;;) {
      const r = await request(`${message}/ops/ping/${id}`, { timeoutMs });
      if (r.status !== 200) return verdict(false, `GET /ops/ping/${id}: ${r.status} ${r.body.slice(0, 200)}`);
      const status = JSON.parse(r.body) as { handled: boolean; handledAt: string | null };
      if (status.handled && status.handledAt) {
        const latency = Date.parse(status.handledAt) - Date.parse(occurredAt);
        const roundTrip = Math.round(performance.now() - started);
        return verdict(
          true,
          `${id} handled: broker latency ${latency} ms (published → handled), seen in ${roundTrip} ms`,
        );
      }
      if (performance.now() >= deadline) {
        return verdict(false, `${id} not handled within ${target.pingTimeoutMs ?? DEFAULT_PING_TIMEOUT_MS} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, PING_POLL_MS));
    }
  });
}

/** Each service's dead-letter count (GET /ops/dead-letters), read twice over the window: none may grow. */
function deadLettersNotGrowing(services: Array<[ServiceKey, string]>, target: Target, timeoutMs: number) {
  return check('no dead letters growing', async () => {
    const read = () =>
      Promise.all(
        services.map(async ([service, base]) => {
          const r = await request(`${base}/ops/dead-letters`, { timeoutMs });
          if (r.status !== 200) throw new Error(`${service}: GET /ops/dead-letters: ${r.status}`);
          return (JSON.parse(r.body) as { deadLetters: number }).deadLetters;
        }),
      );
    const before = await read();
    const windowMs = target.deadLetterWindowMs ?? DEFAULT_DEAD_LETTER_WINDOW_MS;
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const after = await read();
    const counts = services.map(([service], i) => `${service} ${before[i]} → ${after[i]}`);
    const grew = services.filter((_, i) => (after[i] as number) > (before[i] as number));
    return verdict(
      grew.length === 0,
      `${grew.length ? `growing: ${grew.map(([s]) => s).join(', ')}; ` : ''}${counts.join(', ')} over ${windowMs / 1000} s`,
    );
  });
}

function expectStatus(name: string, url: string, expected: number, timeoutMs: number): Promise<CheckResult> {
  return check(name, async () => {
    const r = await request(url, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
      timeoutMs,
    });
    return verdict(r.status === expected, `${r.status} (expected ${expected})`);
  });
}

/** The table the command prints: check, result, detail. */
export function formatTable(results: readonly CheckResult[]): string {
  const rows = [['check', 'result', 'detail'], ...results.map((r) => [r.check, r.result.toUpperCase(), r.detail])];
  const widths = [0, 1].map((col) => Math.max(...rows.map((row) => (row[col] as string).length)));
  return rows
    .map((row) => row.map((cell, col) => (col < 2 ? cell.padEnd(widths[col] as number) : cell)).join('  '))
    .join('\n');
}
