/**
 * pnpm bench:e2e — the whole sandbox (the four services composed in one process, as `pnpm start`
 * runs them) on real PostgreSQL, driven by the load generator in its own process with the mixed
 * load at a fixed rate: 55 % texts, 10 % photos, 18 % button taps, 15 % delivery statuses (WhatsApp
 * webhooks) and 2 % SUMIT payments, 1,000 users, 100 webhooks/s. WhatsApp is a simulator in this
 * process (its Graph limit raised: WHATSAPP_MAX_MPS=2000), so the sandbox's CPU holds the services,
 * the Astria and payment simulators and the chat page, not WhatsApp nor the client.
 * Prints the sandbox process's CPU ms per webhook (from the load's start until the sends settle),
 * ingest p50/p99 (the webhooks' answers), first send p50/p99 (webhook → the first message the
 * simulator receives for that user) and the peak RSS of each process. BENCH_CPU_PROF=1: the sandbox's
 * CPU profile under .data/cpuprofile, its top 10 printed. Last line: one JSON object.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BENCH_APP_SECRET,
  DEFAULT_NUMBER_ID,
  formatSelfTime,
  freePort,
  REPO,
  resultOf,
  runLoad,
  ServiceProcess,
  summarize,
  topSelfTime,
} from '@astria/bench-kit';
import { createDatabaseOn } from '@astria/db/testing';
import { startWhatsAppSimulator } from '@astria/simulators/whatsapp';

const RATE = Number(process.env.BENCH_RATE ?? 100);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
/** Open loop: enough connections that a slow answer never lowers the rate sent. */
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 100);
const USERS = 1000;
const NUMBER_ID = DEFAULT_NUMBER_ID;
const APP_SECRET = BENCH_APP_SECRET;
const TOKEN = 'bench-graph-token';
/** The sandbox's SUMIT token when its payment simulator runs (SANDBOX_SECRETS.sumitWebhookToken). */
const SUMIT_TOKEN = 'sandbox-sumit-webhook-token';
const BASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const MIX = { text: 55, photo: 10, tap: 18, status: 15, payment: 2 };

const log = (line: string) => process.stdout.write(`${line}\n`);
const epochMs = () => performance.timeOrigin + performance.now();

async function main() {
  if (!process.env.DATABASE_URL) log(`DATABASE_URL unset: using ${BASE_URL}`);
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const sim = await startWhatsAppSimulator({ phoneNumberId: NUMBER_ID, accessToken: TOKEN, appSecret: APP_SECRET });
    cleanups.push(() => sim.close());
    const media = ['selfie-1.jpg', 'selfie-2.jpg', 'selfie-3.jpg', 'selfie-4.jpg', 'selfie-5.jpg'].map((name) => {
      const bytes = readFileSync(join(REPO, 'apps/sandbox/assets/samples', name));
      return {
        id: sim.addMedia(bytes, 'image/jpeg').mediaId,
        sha256: createHash('sha256').update(bytes).digest('hex'),
      };
    });
    const sends = new Map<string, number[]>();
    sim.onSent((message) => {
      const list = sends.get(message.to) ?? [];
      list.push(epochMs());
      sends.set(message.to, list);
    });

    const db = await createDatabaseOn(BASE_URL, { prefix: 'bench_e2e', poolMax: 1 });
    cleanups.push(() => db.destroy());
    const dataDir = mkdtempSync(join(tmpdir(), 'bench-e2e-'));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const ports: Record<string, string> = {};
    for (const name of [
      'MESSAGE_SERVICE_PORT',
      'IMAGE_SERVICE_PORT',
      'PAYMENT_SERVICE_PORT',
      'MAINTENANCE_SERVICE_PORT',
      'WHATSAPP_SIMULATOR_PORT',
      'ASTRIA_SIMULATOR_PORT',
      'PAYMENT_SIMULATOR_PORT',
    ]) {
      ports[name] = String(await freePort());
    }
    const pagePort = await freePort();
    const sandbox = new ServiceProcess(
      'sandbox',
      pagePort,
      {
        ...ports,
        SANDBOX_PORT: String(pagePort),
        SANDBOX_DATA_DIR: dataDir,
        SANDBOX_LOG_LEVEL: 'error',
        SANDBOX_TRAINING_DELAY_MS: '2000',
        SHUTDOWN_DRAIN_MS: '0',
        DATABASE_URL: db.url,
        WHATSAPP_API_URL: sim.url,
        WHATSAPP_API_KEY: TOKEN,
        WHATSAPP_NUMBER_ID: NUMBER_ID,
        WHATSAPP_APP_SECRET: APP_SECRET,
        WHATSAPP_VERIFY_TOKEN: 'bench',
        WHATSAPP_MAX_MPS: '2000',
      },
      // Ready when its message service is (the chat page has no readiness check).
      { entry: 'apps/sandbox/dist/main.js', readyUrl: `http://127.0.0.1:${ports.MESSAGE_SERVICE_PORT}/health/ready` },
    );
    await sandbox.start(120_000);
    log(`sandbox ready in ${Math.round(sandbox.readyMs)} ms (PostgreSQL, WhatsApp simulated in the bench process)`);

    // Ready is not idle: the sandbox goes on with start-up work for seconds (the image service builds
    // the packs' preview videos: ffmpeg and sharp), with quiet seconds in between. Wait until three
    // seconds in a row cost under 150 ms of CPU each (at most 90 s), then measure idle for 3 s.
    const settleStarted = performance.now();
    for (let last = sandbox.cpuMs(), quiet = 0; quiet < 3 && performance.now() - settleStarted < 90_000; ) {
      await new Promise((r) => setTimeout(r, 1000));
      const now = sandbox.cpuMs();
      quiet = now - last < 150 ? quiet + 1 : 0;
      last = now;
    }
    const settleSeconds = (performance.now() - settleStarted) / 1000;
    const idleStart = sandbox.cpuMs();
    await new Promise((r) => setTimeout(r, 3000));
    const idleCpuMsPerSecond = (sandbox.cpuMs() - idleStart) / 3;
    log(
      `sandbox settled ${settleSeconds.toFixed(1)} s after ready; idle: ${idleCpuMsPerSecond.toFixed(1)} ms CPU per second`,
    );

    const logFile = join(dataDir, 'sent.log');
    const cpuBefore = sandbox.cpuMs();
    const loadStarted = epochMs();
    const results = await runLoad({
      webhookUrl: `http://127.0.0.1:${ports.MESSAGE_SERVICE_PORT}/whatsapp/webhook`,
      sumitWebhookUrl: `http://127.0.0.1:${ports.PAYMENT_SERVICE_PORT}/payment-received?token=${SUMIT_TOKEN}`,
      appSecret: APP_SECRET,
      phoneNumberId: NUMBER_ID,
      connections: CONNECTIONS,
      durationSeconds: SECONDS,
      overallRate: RATE,
      users: USERS,
      userPrefix: '1555',
      runId: randomUUID().slice(0, 8),
      mix: MIX,
      media,
      logFile,
    });
    const whatsapp = resultOf(results, 'whatsapp');
    const sumit = results.find((r) => r.target === 'sumit');
    // The work the webhooks caused goes on after the last answer: wait until the sends settle.
    let lastCount = -1;
    const settleDeadline = Date.now() + 60_000;
    for (;;) {
      const count = [...sends.values()].reduce((a, l) => a + l.length, 0);
      if (count === lastCount || Date.now() > settleDeadline) break;
      lastCount = count;
      await new Promise((r) => setTimeout(r, 2000));
    }
    const cpuMs = sandbox.cpuMs() - cpuBefore;
    const wallSeconds = (epochMs() - loadStarted) / 1000;
    const webhooks = whatsapp.total + (sumit?.total ?? 0);
    const sandboxPeakRss = sandbox.peakRssMb();

    // First send: from a text, photo or tap to the next message the simulator got for that user.
    const firstSend: number[] = [];
    for (const line of readFileSync(logFile, 'utf8').split('\n')) {
      const [at, kind, user] = line.split(' ');
      if (!at || !user || kind === 'status') continue;
      const posted = Number(at);
      const next = sends.get(user)?.find((t) => t >= posted);
      if (next !== undefined) firstSend.push(next - posted);
    }
    const first = summarize(firstSend);
    await sandbox.stop();
    if (sandbox.cpuProfileFile) {
      log(`CPU profile of the sandbox: ${sandbox.cpuProfileFile}, top 10 self time:`);
      for (const line of formatSelfTime(topSelfTime(sandbox.cpuProfileFile))) log(`  ${line}`);
    }
    const cpuMsPerWebhook = cpuMs / Math.max(1, webhooks);
    log(
      `mixed load at ${RATE}/s for ${SECONDS} s: ${webhooks} webhooks (${whatsapp.rps}/s WhatsApp + ${sumit?.rps ?? 0}/s SUMIT), non-2xx ${whatsapp.non2xx + (sumit?.non2xx ?? 0)}, errors ${whatsapp.errors + (sumit?.errors ?? 0)}`,
    );
    log(
      `sandbox CPU ${Math.round(cpuMs)} ms over ${wallSeconds.toFixed(1)} s = ${cpuMsPerWebhook.toFixed(2)} ms per webhook; ingest p50 ${whatsapp.p50} ms, p99 ${whatsapp.p99} ms; first send p50 ${first.p50} ms, p99 ${first.p99} ms (${first.count} sends); peak RSS ${sandboxPeakRss} MB`,
    );
    log(
      JSON.stringify({
        bench: 'e2e',
        rate: RATE,
        durationSeconds: SECONDS,
        mix: MIX,
        users: USERS,
        webhooks,
        webhooksPerSecond: Math.round(webhooks / SECONDS),
        non2xx: whatsapp.non2xx + (sumit?.non2xx ?? 0),
        cpuMsPerWebhook: Number(cpuMsPerWebhook.toFixed(2)),
        idleCpuMsPerSecond: Number(idleCpuMsPerSecond.toFixed(1)),
        settleSecondsAfterReady: Number(settleSeconds.toFixed(1)),
        measuredSeconds: Number(wallSeconds.toFixed(1)),
        ingestP50Ms: whatsapp.p50,
        ingestP99Ms: whatsapp.p99,
        firstSendP50Ms: first.p50,
        firstSendP99Ms: first.p99,
        firstSends: first.count,
        graphSends: [...sends.values()].reduce((a, l) => a + l.length, 0),
        peakRssMb: { sandbox: sandboxPeakRss },
        loadAverage: loadavg().map((l) => Number(l.toFixed(2))),
      }),
    );
  } finally {
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((error: unknown) => process.stderr.write(`cleanup: ${String(error)}\n`));
    }
  }
}

await main();
process.exit(0);
