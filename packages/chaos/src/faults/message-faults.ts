import { messaging, queryRows } from '@astria/db';
import { startPrivateCluster } from '@astria/db/testing';
import { makeWamid } from '@astria/simulators/whatsapp';
import { sql } from 'drizzle-orm';
import { Checks, type FaultReport } from '../report.js';
import { type MessageStack, startMessageStack } from '../stack.js';
import { type PostResult, pool, postNotification, textNotification, until, userPhone } from '../webhooks.js';

export interface FaultOptions {
  /** Server URL to create the fresh database on (e.g. postgres://postgres@127.0.0.1:5432/test). */
  databaseUrl: string;
  /** Scale: users (or payloads) per run; the CLI uses more than the test suite. */
  size?: number;
  /**
   * sigterm: the longest a readiness probe sent after SIGTERM may take to answer 503 (default 250 ms).
   * The test suite allows more: other test files share its cores, so any HTTP round trip can take longer.
   */
  readinessBudgetMs?: number;
}

const run = () => Math.floor(Math.random() * 1000);

/** Per-user count of messages the bot sent through the simulated Graph API. */
function sentPerUser(stack: MessageStack): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of stack.sim.sent) counts.set(m.to, (counts.get(m.to) ?? 0) + 1);
  return counts;
}

/** Waits until the simulator saw no new send for `quietMs` (bounded by `timeoutMs`). */
async function settle(stack: MessageStack, quietMs: number, timeoutMs: number): Promise<void> {
  let last = -1;
  let since = Date.now();
  await until(() => {
    if (stack.sim.sent.length !== last) {
      last = stack.sim.sent.length;
      since = Date.now();
    }
    return Date.now() - since >= quietMs;
  }, timeoutMs);
}

/** How many messages one greeting gets: measured on a control user that wrote once. */
async function baseline(stack: MessageStack, phone: string): Promise<number> {
  const r = await postNotification(stack.webhookUrl, textNotification(phone, 'hello'));
  if (r.status !== 200) throw new Error(`control webhook answered ${r.status}`);
  await until(() => (sentPerUser(stack).get(phone) ?? 0) > 0, 10_000);
  await settle(stack, 700, 10_000);
  return sentPerUser(stack).get(phone) ?? 0;
}

/** Every webhook 3–10×: part at once, the rest late (after the replies went out). Exactly one reply each. */
export async function duplicates(options: FaultOptions): Promise<FaultReport> {
  const checks = new Checks();
  const stack = await startMessageStack(options.databaseUrl);
  try {
    const r = run();
    const expected = await baseline(stack, userPhone(r, 0));
    const users = options.size ?? 30;
    const plan = Array.from({ length: users }, (_, i) => {
      const phone = userPhone(r, i + 1);
      const copies = 3 + (i % 8); // 3..10
      return { phone, notification: textNotification(phone, 'hello', makeWamid(phone)), copies };
    });
    const early = await Promise.all(
      plan.flatMap((p) =>
        Array.from({ length: Math.ceil(p.copies / 2) }, () => postNotification(stack.webhookUrl, p.notification)),
      ),
    );
    await until(() => plan.every((p) => (sentPerUser(stack).get(p.phone) ?? 0) >= expected), 20_000);
    const late = await pool(
      plan.flatMap((p) =>
        Array.from(
          { length: Math.floor(p.copies / 2) },
          () => () => postNotification(stack.webhookUrl, p.notification),
        ),
      ),
      16,
    );
    await settle(stack, 1000, 15_000);
    const all = [...early, ...late];
    const counts = sentPerUser(stack);
    const wrong = plan.filter((p) => counts.get(p.phone) !== expected);
    checks.check(
      'every delivery answered 200',
      all.every((x) => x.status === 200),
    );
    checks.check('exactly one reply per message', wrong.length === 0, `${wrong.length} users differ`);
    checks.check('service never crashed', !stack.service.crashed);
    checks.figure('users', users);
    checks.figure('deliveries', all.length);
    checks.figure('replies per greeting', expected);
    checks.figure('p99 ms', percentile(all, 0.99));
  } finally {
    await stack.close();
  }
  return checks.report('duplicates');
}

/** Load of distinct greetings; the client retries every non-200 like Meta (until 200 or the time is up). */
async function loadWithRetries(
  stack: MessageStack,
  phones: string[],
  concurrency: number,
  onHalf: () => Promise<void>,
) {
  const notifications = phones.map((phone) => textNotification(phone, 'hello'));
  const results: PostResult[] = [];
  let done = 0;
  let injected: Promise<void> | undefined;
  await pool(
    notifications.map((n) => async () => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const res = await postNotification(stack.webhookUrl, n, 5000);
        results.push(res);
        if (res.status === 200 || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 200)); // Meta backs off before redelivering
      }
      if (++done === Math.floor(phones.length / 2)) injected = onHalf();
    }),
    concurrency,
  );
  await injected;
  return results;
}

/** whatsapp_send_redeliveries_total of the running process, by action. */
async function redeliveryCounts(stack: MessageStack): Promise<{ resent: number; skipped: number }> {
  const text = await (await fetch(`${stack.service.url}/metrics`)).text();
  const sum = (action: string) =>
    [...text.matchAll(new RegExp(`^whatsapp_send_redeliveries_total\\{[^}]*action="${action}"[^}]*\\} (\\d+)`, 'gm'))]
      .map((m) => Number(m[1]))
      .reduce((a, b) => a + b, 0);
  return { resent: sum('resent'), skipped: sum('skipped') };
}

/**
 * SIGKILL message-service under load and restart it: nothing lost; a reply repeated only within the
 * at-least-once window and then counted; no read receipt repeated.
 */
export async function sigkill(options: FaultOptions): Promise<FaultReport> {
  const checks = new Checks();
  const stack = await startMessageStack(options.databaseUrl);
  try {
    const r = run();
    const expected = await baseline(stack, userPhone(r, 0));
    const phones = Array.from({ length: options.size ?? 200 }, (_, i) => userPhone(r, i + 1));
    const reads = new Map<string, number>();
    stack.sim.onMarkRead((read) => reads.set(read.messageId, (reads.get(read.messageId) ?? 0) + 1));
    let downMs = 0;
    const results = await loadWithRetries(stack, phones, 8, async () => {
      const t = Date.now();
      await stack.service.kill('SIGKILL');
      await stack.service.start();
      downMs = Date.now() - t;
    });
    await until(() => phones.every((p) => (sentPerUser(stack).get(p) ?? 0) >= expected), 30_000);
    await settle(stack, 1000, 15_000);
    const counts = sentPerUser(stack);
    const lost = phones.filter((p) => (counts.get(p) ?? 0) < expected);
    const twice = phones.filter((p) => (counts.get(p) ?? 0) > expected);
    // At-least-once is the floor for a reply (docs/reliability.md): a reply cut short between the Graph call
    // and its record is sent again, but never silently: the restarted process counts each one.
    const redeliveries = await redeliveryCounts(stack);
    const readTwice = [...reads.values()].filter((n) => n > 1).length;
    checks.check('nothing lost', lost.length === 0, `${lost.length} users without their reply`);
    checks.check(
      'a reply sent twice only when an interrupted attempt was redelivered, and counted',
      twice.length <= redeliveries.resent,
      `${twice.length} users replied twice, ${redeliveries.resent} counted as resent`,
    );
    checks.check('no read receipt / typing indicator repeated', readTwice === 0, `${readTwice} repeated`);
    checks.figure('users replied twice', twice.length);
    checks.figure('redeliveries resent (counted)', redeliveries.resent);
    checks.figure('redeliveries skipped (read receipts)', redeliveries.skipped);
    checks.figure('messages', phones.length);
    checks.figure('requests (with retries)', results.length);
    checks.figure('failed attempts retried', results.filter((x) => x.status !== 200).length);
    checks.figure('kill to ready ms', downMs);
  } finally {
    await stack.close();
  }
  return checks.report('sigkill');
}

/** SIGTERM under load: the client stops sending once readiness fails; count what failed. */
export async function sigterm(options: FaultOptions): Promise<FaultReport> {
  const checks = new Checks();
  // Readiness 503 for 1 s while still serving (SHUTDOWN_DRAIN_MS), then close: the client below stops
  // sending as soon as it sees readiness fail, as a load balancer does.
  const stack = await startMessageStack(options.databaseUrl, { SHUTDOWN_DRAIN_MS: '1000' });
  try {
    const r = run();
    let stop = false;
    const results: PostResult[] = [];
    const watcher = (async () => {
      while (!stop) {
        try {
          const res = await fetch(`${stack.service.url}/health/ready`, { signal: AbortSignal.timeout(500) });
          if (res.status !== 200) stop = true;
        } catch {
          stop = true;
        }
        await new Promise((x) => setTimeout(x, 20));
      }
    })();
    let i = 0;
    const senders = Array.from({ length: 16 }, async () => {
      while (!stop && i < (options.size ?? 2000)) {
        results.push(await postNotification(stack.webhookUrl, textNotification(userPhone(r, ++i), 'hello'), 5000));
      }
    });
    await until(() => results.length >= 100, 20_000);
    const signalled = performance.now();
    const exited = stack.service.kill('SIGTERM');
    // A fresh probe right after the signal (the watcher's may have started before it): 503, and quickly.
    // Probes until one answers 503 (the signal may land a moment after the first probe).
    let probeStatus = 0;
    let probeMs = 0;
    while (probeStatus !== 503 && performance.now() - signalled < 2000) {
      const sent = performance.now();
      const probe = await fetch(`${stack.service.url}/health/ready`, { signal: AbortSignal.timeout(2000) }).catch(
        () => null,
      );
      probeStatus = probe?.status ?? 0;
      probeMs = performance.now() - sent;
    }
    const unreadyMs = performance.now() - signalled;
    const exit = await exited;
    const exitMs = performance.now() - signalled;
    stop = true;
    await Promise.all([...senders, watcher]);
    const budget = options.readinessBudgetMs ?? 250;
    checks.check(
      `readiness answers 503 once SIGTERM is handled, within ${budget} ms`,
      probeStatus === 503 && probeMs <= budget,
      `${probeStatus} in ${Math.round(probeMs)} ms, ${Math.round(unreadyMs)} ms after the signal`,
    );
    checks.figure('SIGTERM to exit (ms)', Math.round(exitMs));
    const failed = results.filter((x) => x.status !== 200);
    checks.check('zero failed requests', failed.length === 0, `${failed.length} of ${results.length}`);
    checks.check('exit code 0', exit.code === 0, `code ${exit.code} signal ${exit.signal}`);
    checks.figure('requests', results.length);
    checks.figure('failed', failed.length);
    for (const f of failed.slice(0, 5)) checks.finding(`status ${f.status} ${f.error ?? ''}`);
  } finally {
    await stack.close();
  }
  return checks.report('sigterm');
}

/**
 * A private PostgreSQL cluster stopped for `outageMs` under load: webhooks answer 503 + Retry-After
 * within 2 s, readiness 503 within 250 ms, nothing answered 200 without its commit, recovery by itself.
 */
export async function pgOutage(options: FaultOptions & { outageMs?: number }): Promise<FaultReport> {
  const checks = new Checks();
  const cluster = await startPrivateCluster();
  const outageMs = options.outageMs ?? 20_000;
  try {
    const stack = await startMessageStack(cluster.url);
    try {
      const r = run();
      type Sample = PostResult & { at: number; wamid: string; phase: string };
      const samples: Sample[] = [];
      const ready: { ms: number; status: number; phase: string }[] = [];
      let phase = 'before';
      let stop = false;
      let i = 0;
      const senders = Array.from({ length: 4 }, async () => {
        while (!stop) {
          const phone = userPhone(r, ++i);
          const wamid = makeWamid(phone);
          const res = await postNotification(stack.webhookUrl, textNotification(phone, 'hello', wamid), 15_000);
          samples.push({ ...res, at: Date.now(), wamid, phase });
          await new Promise((x) => setTimeout(x, 20));
        }
      });
      const prober = (async () => {
        while (!stop) {
          const t = performance.now();
          let status = 0;
          try {
            status = (await fetch(`${stack.service.url}/health/ready`, { signal: AbortSignal.timeout(5000) })).status;
          } catch {}
          ready.push({ ms: performance.now() - t, status, phase });
          await new Promise((x) => setTimeout(x, 100));
        }
      })();
      await until(() => samples.length >= 20, 10_000);
      await cluster.stop();
      phase = 'outage';
      const outageStart = Date.now();
      await until(() => Date.now() - outageStart >= outageMs, outageMs + 1000);
      phase = 'recovering';
      await cluster.start();
      const back = Date.now();
      const recovered = await until(
        () => samples.some((s) => s.at > back && s.status === 200) && ready.at(-1)?.status === 200,
        30_000,
      );
      const recoveryMs = Date.now() - back;
      phase = 'after';
      await until(() => samples.filter((s) => s.phase === 'after').length >= 20, 10_000);
      stop = true;
      await Promise.all([...senders, prober]);

      const during = samples.filter((s) => s.phase === 'outage' && s.at - outageStart > 0);
      const slow = during.filter((s) => s.ms > 2000);
      const not503 = during.filter((s) => s.status !== 503 || !s.retryAfter);
      const readyDuring = ready.filter((x) => x.phase === 'outage');
      const ok = samples.filter((s) => s.status === 200).map((s) => s.wamid);
      const stored = new Set(
        (
          await queryRows<{ wamid: string }>(stack.database.db, sql`select wamid from ${messaging.inboundMessages}`)
        ).map((x) => x.wamid),
      );
      const ackedNotStored = ok.filter((w) => !stored.has(w));
      checks.check(
        'outage webhooks answered within 2 s',
        slow.length === 0,
        `${slow.length} of ${during.length} slower`,
      );
      checks.check('outage webhooks answered 503 with Retry-After', not503.length === 0, `${not503.length} otherwise`);
      checks.check(
        'readiness 503 within 250 ms',
        readyDuring.every((x) => x.status === 503 && x.ms <= 250),
        `max ${Math.round(Math.max(0, ...readyDuring.map((x) => x.ms)))} ms`,
      );
      checks.check('nothing answered 200 without its commit', ackedNotStored.length === 0, `${ackedNotStored.length}`);
      checks.check('recovered by itself', recovered, `${recoveryMs} ms after restart`);
      checks.check('service never crashed', !stack.service.crashed, JSON.stringify(stack.service.exits));
      if (stack.service.exits.length) {
        const why = stack.service.stderr
          .split('\n')
          .filter((l) => /shutting down|uncaught|unhandled|"level":60|killed/i.test(l));
        checks.finding(why.join('\n').slice(0, 3000) || stack.service.stderr.slice(-3000));
      }
      checks.figure('webhooks during outage', during.length);
      checks.figure('max ms during outage', Math.round(Math.max(0, ...during.map((s) => s.ms))));
      checks.figure('p50 ms during outage', percentile(during, 0.5));
      checks.figure('answered 200 in total', ok.length);
      checks.figure('recovery ms', recoveryMs);
    } finally {
      await stack.close();
    }
  } finally {
    await cluster.destroy();
  }
  return checks.report('pg-outage');
}

function percentile(results: { ms: number }[], p: number): number {
  if (!results.length) return 0;
  const sorted = results.map((x) => x.ms).sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number);
}

/**
 * Graph API failures: bursts of 429, 130429 (throughput), 500 and 503 before sends, retried in place
 * or by the event retry, and 131047 (outside the 24 h window) for one user, which is permanent.
 */
export async function graphErrors(options: FaultOptions): Promise<FaultReport> {
  const checks = new Checks();
  const stack = await startMessageStack(options.databaseUrl);
  try {
    const r = run();
    const expected = await baseline(stack, userPhone(r, 0));
    const bursts = [
      { status: 429, code: 4 },
      { status: 400, code: 130429 },
      { status: 500, code: 1 },
      { status: 503, code: 2 },
    ];
    const perBurst = options.size ? Math.max(2, Math.floor(options.size / 4)) : 10;
    const phones: string[] = [];
    const answers: PostResult[] = [];
    let n = 1;
    for (const error of bursts) {
      stack.sim.failNext(3, error);
      const batch = Array.from({ length: perBurst }, () => userPhone(r, n++));
      phones.push(...batch);
      answers.push(
        ...(await Promise.all(batch.map((p) => postNotification(stack.webhookUrl, textNotification(p, 'hello'))))),
      );
    }
    const blocked = userPhone(r, n++);
    stack.sim.failFor(blocked, { status: 400, code: 131047, message: 'Re-engagement message' });
    answers.push(await postNotification(stack.webhookUrl, textNotification(blocked, 'hello')));
    const started = Date.now();
    const delivered = await until(() => phones.every((p) => (sentPerUser(stack).get(p) ?? 0) >= expected), 30_000);
    const deliveryMs = Date.now() - started;
    await settle(stack, 1000, 15_000);
    const counts = sentPerUser(stack);
    const twice = phones.filter((p) => (counts.get(p) ?? 0) > expected);
    checks.check(
      'every webhook answered 200',
      answers.every((a) => a.status === 200),
    );
    checks.check('every reply delivered despite the bursts', delivered, `${deliveryMs} ms`);
    checks.check('no reply sent twice', twice.length === 0, `${twice.length}`);
    checks.check('131047 is not sent (permanent, not retried into success)', (counts.get(blocked) ?? 0) === 0);
    checks.check('service never crashed', !stack.service.crashed);
    checks.figure('messages', phones.length);
    checks.figure('failed Graph calls injected', bursts.length * 3);
    checks.figure('all delivered after ms', deliveryMs);
  } finally {
    await stack.close();
  }
  return checks.report('graph-errors');
}
