import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { queryRows } from '@astria/db';
import { startAstriaSimulator } from '@astria/simulators/astria';
import { sql } from 'drizzle-orm';
import { Checks, type FaultReport } from '../report.js';
import { CALLBACK_SECRET, startImageStack } from '../stack.js';
import { until } from '../webhooks.js';
import type { FaultOptions } from './message-faults.js';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));

/** `node apps/maintenance-service/dist/cli.js reconcile` as the CronJob runs it; its exit code and JSON summary. */
function reconcile(env: Record<string, string>): Promise<{ code: number | null; summary: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['apps/maintenance-service/dist/cli.js', 'reconcile'], {
      cwd: REPO,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.once('exit', (code) => resolve({ code, summary: out.trim().split('\n').at(-1) ?? '' }));
  });
}

/**
 * Astria's callbacks for a finished tune are all dropped: reconcile (the maintenance CLI, run twice at once,
 * as overlapping CronJobs would) polls Astria and delivers the prompts through the callback path; then the
 * dropped callbacks arrive late. Exactly one images_generated, every prompt recorded once, no crash.
 */
export async function lostCallback(options: FaultOptions): Promise<FaultReport> {
  const checks = new Checks();
  const sim = await startAstriaSimulator({
    host: '127.0.0.1',
    apiKey: 'chaos-astria-key',
    trainingDelayMs: 100,
    callbacks: false,
  });
  const stack = await startImageStack(options.databaseUrl, { ASTRIA_API_URL: sim.url });
  try {
    const requestId = `chaos-lost-${Date.now()}`;
    const token = createHmac('sha256', CALLBACK_SECRET).update(`astria-callback:v1:${requestId}`).digest('base64url');
    const promptsUrl = `${stack.serviceUrl}/pack-tune-received?request=${requestId}&token=${token}`;
    // The tune as image-service creates it (its callback URLs given), trained and rendered by Astria, who then
    // drops every callback.
    const pack = sim.packs[0];
    if (!pack) throw new Error('the Astria simulator has no pack');
    const form = new FormData();
    form.set('tune[title]', requestId);
    form.set('tune[name]', 'man');
    form.append('tune[image_urls][]', 'https://cdn.example.com/chaos/1.jpg');
    form.set('tune[callback]', promptsUrl.replace('/pack-tune-received', '/tune-trained'));
    form.set('tune[prompt_attributes][callback]', promptsUrl);
    const created = (await (
      await fetch(`${sim.url}/p/${pack.id}/tunes`, {
        method: 'POST',
        body: form,
        headers: { authorization: 'Bearer chaos-astria-key' },
      })
    ).json()) as { id: number };
    await stack.database.db.execute(
      sql`insert into imaging.tunes (request_id, user_id, pack_id, tier, subject_class, payment_id, title, tune_id,
                                     status, eta, requested_at)
          values (${requestId}, '972501112233', ${pack.id}, 'standard', 'man', 'pay-chaos', ${requestId}, ${created.id},
                  'created', now() - interval '2 hours', now() - interval '3 hours')`,
    );
    await sim.idle();
    const rendered = [...sim.prompts.values()].filter((p) => p.tune_id === created.id);
    checks.check('the callbacks were dropped', sim.callbacks.length === 0, `${sim.callbacks.length} delivered`);

    const env = {
      NODE_ENV: 'production',
      LOG_LEVEL: 'error',
      DATABASE_URL: stack.databaseUrl,
      EVENT_TRANSPORT: 'memory',
      ASTRIA_API_URL: sim.url,
      ASTRIA_API_KEY: 'chaos-astria-key',
      RECONCILE_GRACE_MINUTES: '1',
    };
    const runs = await Promise.all([reconcile(env), reconcile(env)]);
    // The dropped callbacks arrive late, each twice.
    const late = await Promise.all(
      [...rendered, ...rendered].map(async (prompt) => {
        const res = await fetch(promptsUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ prompt }),
        });
        return res.status;
      }),
    );
    const published = async () =>
      (
        await queryRows<{ n: number }>(
          stack.database.db,
          sql`select count(*)::int as n from imaging.outbox
              where type = 'images_generated' and envelope->'data'->>'requestId' = ${requestId}`,
        )
      )[0]?.n ?? 0;
    await until(async () => (await published()) > 0, 5000);
    const events = await published();
    const recorded =
      (
        await queryRows<{ n: number }>(
          stack.database.db,
          sql`select count(*)::int as n from imaging.prompts where request_id = ${requestId}`,
        )
      )[0]?.n ?? 0;
    checks.check(
      'reconcile runs exit 0',
      runs.every((r) => r.code === 0),
      runs.map((r) => r.code).join(','),
    );
    checks.check(
      'reconcile recovered the tune (the other run skipped or found nothing to do)',
      runs.some((r) => r.summary.includes('"recovered":1')),
    );
    checks.check('exactly one images_generated', events === 1, `${events}`);
    checks.check('every prompt recorded once', recorded === rendered.length, `${recorded} of ${rendered.length}`);
    checks.check(
      'late callbacks answered 2xx',
      late.every((s) => s >= 200 && s < 300),
      late.join(','),
    );
    checks.check('image-service never crashed', !stack.service.crashed);
    checks.figure('prompts', rendered.length);
    checks.figure('reconcile summaries', runs.map((r) => r.summary.slice(0, 200)).join(' | '));
  } finally {
    await stack.close();
    await sim.close();
  }
  return checks.report('lost-callback');
}
