/**
 * bench:images — the Astria callback path and the preview encoder, measured in one run.
 *
 * 1. Callbacks: N training requests, each finished by its prompts arriving as per-prompt callbacks
 *    (plus one duplicate each), CONCURRENCY at a time through the real routes (token check, row lock,
 *    prompt insert, images_generated in the outbox). Baseline: GET /health/live through the same app.
 *    Checks that exactly N images_generated were written.
 * 2. Preview: FRAMES letterboxed 720×1280 frames encoded by ffmpeg (H.264 baseline), timed.
 *
 * Needs DATABASE_URL (a PostgreSQL server): it creates a fresh database and drops it after. (On
 * PGlite, whose WASM engine shares the event loop, the service's back-pressure guard answers 503
 * under this load: the figures would measure that guard, not the callback path.)
 * Knobs: BENCH_REQUESTS (default 300), BENCH_PROMPTS (3), BENCH_CONCURRENCY (8), BENCH_FRAMES (24).
 * The last line is one JSON object with the figures.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imageServiceConfigSchema, loadConfig } from '@astria/config';
import { queryRows } from '@astria/db';
import { createTestDatabase } from '@astria/db/testing';
import { resolveFfmpeg } from '@astria/dev-programs';
import { createEventRuntime, MemoryTransport } from '@astria/events';
import { createService } from '@astria/service-host';
import { sql } from 'drizzle-orm';
import sharp from 'sharp';
import { imageServiceApp } from '../src/app.js';
import { callbackUrls } from '../src/domain/callback-token.js';
import { encodePreview, preparePreviewFrame } from '../src/previews.js';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 300);
const PROMPTS = Number(process.env.BENCH_PROMPTS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const FRAMES = Number(process.env.BENCH_FRAMES ?? 24);
const SECRET = 'bench-callback-secret-0123456789abcdef';

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function runPool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await fn(item);
      }
    }),
  );
}

const round = (n: number) => Math.round(n * 100) / 100;

async function main(): Promise<void> {
  if (!process.env.DATABASE_URL) {
    console.error('bench:images needs DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/postgres');
    process.exit(2);
  }
  const database = await createTestDatabase();
  const blobDir = await mkdtemp(join(tmpdir(), 'bench-images-'));
  const config = loadConfig('image-service', imageServiceConfigSchema, {
    WHATSAPP_API_URL: 'http://127.0.0.1:9/v21.0',
    WHATSAPP_NUMBER_ID: '1',
    WHATSAPP_API_KEY: 'bench',
    ASTRIA_API_URL: 'http://127.0.0.1:9',
    ASTRIA_API_KEY: 'bench',
    PUBLIC_BASE_URL: 'http://127.0.0.1:7072',
    CALLBACK_SIGNING_SECRET: SECRET,
    UPDATE_IMAGES_TOKEN: 'bench',
    BLOB_LOCAL_DIR: blobDir,
    FFMPEG_PATH: resolveFfmpeg().path,
    LOG_LEVEL: 'silent',
  });
  const transport = new MemoryTransport();
  const events = createEventRuntime({ database, service: 'image-service', transport });
  const app = await createService(
    { service: 'image-service', config, database, transport, events, logger: false, ownsDatabase: false },
    imageServiceApp,
    { config, schedulePreviews: false },
  );
  await app.ready();
  try {
    // Seed the requests as training left them: tune created, ETA in the future, no images yet.
    for (let i = 0; i < REQUESTS; i += 500) {
      const ids = Array.from({ length: Math.min(500, REQUESTS - i) }, (_, k) => i + k);
      await database.db.execute(sql`insert into imaging.tunes
        (request_id, user_id, pack_id, tier, subject_class, payment_id, title, tune_id, status, eta, expected_prompts)
        select 'bench-' || n, '9725' || lpad(n::text, 8, '0'), 260, 'standard', 'woman', 'pay-' || n,
               'tr_bench-' || n, 1000000 + n, 'created', now() + interval '20 minutes', ${PROMPTS}
          from unnest(${sql.raw(`ARRAY[${ids.join(',')}]::int[]`)}) as n`);
    }
    const calls: Array<{ url: string; body: string }> = [];
    for (let n = 0; n < REQUESTS; n++) {
      const url = new URL(callbackUrls('http://x', SECRET, `bench-${n}`).prompts);
      const path = `${url.pathname}${url.search}`;
      for (let p = 0; p < PROMPTS; p++) {
        const prompt = {
          id: 50_000_000 + n * PROMPTS + p,
          tune_id: 1_000_000 + n,
          text: 'ohwx woman, portrait',
          images: [`https://cdn.example.com/p/${n}/${p}/1.jpg`, `https://cdn.example.com/p/${n}/${p}/2.jpg`],
        };
        calls.push({ url: path, body: JSON.stringify({ prompt }) });
        if (p === 0) calls.push({ url: path, body: JSON.stringify({ prompt }) }); // a duplicate
      }
    }

    // Baseline: the same app's cheapest route, same concurrency.
    const baseline: number[] = [];
    await runPool(
      Array.from({ length: 500 }, (_, i) => i),
      CONCURRENCY,
      async () => {
        const t = performance.now();
        await app.inject({ method: 'GET', url: '/health/live' });
        baseline.push(performance.now() - t);
      },
    );

    const latencies: number[] = [];
    const statuses = new Map<number, number>();
    const started = performance.now();
    await runPool(calls, CONCURRENCY, async (call) => {
      const t = performance.now();
      const res = await app.inject({
        method: 'POST',
        url: call.url,
        headers: { 'content-type': 'application/json' },
        payload: call.body,
      });
      latencies.push(performance.now() - t);
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
    });
    const elapsed = (performance.now() - started) / 1000;
    const [published] = await queryRows<{ n: number | string }>(
      database.db,
      sql`select count(*)::int as n from imaging.outbox where type = 'images_generated'`,
    );
    latencies.sort((a, b) => a - b);
    baseline.sort((a, b) => a - b);

    // Preview encode: FRAMES portrait frames from generated pictures.
    const sources = await Promise.all(
      Array.from({ length: FRAMES }, (_, i) =>
        sharp({
          create: { width: 768, height: 1152, channels: 3, background: { r: 60 + i * 7, g: 120, b: 180 - i * 3 } },
        })
          .jpeg()
          .toBuffer(),
      ),
    );
    const prepStart = performance.now();
    const frames: Buffer[] = [];
    for (const source of sources) {
      const prepared = await preparePreviewFrame(source);
      if ('frame' in prepared) frames.push(prepared.frame);
    }
    const prepMs = performance.now() - prepStart;
    const encodeStart = performance.now();
    const { mp4, durationSeconds } = await encodePreview(config.FFMPEG_PATH, frames, 1);
    const encodeMs = performance.now() - encodeStart;

    const result = {
      driver: database.driver,
      requests: REQUESTS,
      callbacks: calls.length,
      concurrency: CONCURRENCY,
      callbacksPerSecond: round(calls.length / elapsed),
      callbackP50Ms: round(percentile(latencies, 50)),
      callbackP99Ms: round(percentile(latencies, 99)),
      baselineP50Ms: round(percentile(baseline, 50)),
      baselineP99Ms: round(percentile(baseline, 99)),
      p50Ratio: round(percentile(latencies, 50) / Math.max(0.001, percentile(baseline, 50))),
      statuses: Object.fromEntries(statuses),
      imagesGenerated: Number(published?.n ?? 0),
      exactlyOnce: Number(published?.n ?? 0) === REQUESTS,
      previewFrames: frames.length,
      previewPrepareMs: Math.round(prepMs),
      previewEncodeMs: Math.round(encodeMs),
      previewBytes: mp4.length,
      previewSeconds: durationSeconds,
    };
    console.log(
      `callbacks: ${result.callbacks} (${REQUESTS} requests × ${PROMPTS} prompts + 1 duplicate each) on ${result.driver}, ` +
        `concurrency ${CONCURRENCY}: ${result.callbacksPerSecond}/s, p50 ${result.callbackP50Ms} ms, p99 ${result.callbackP99Ms} ms ` +
        `(baseline GET /health/live p50 ${result.baselineP50Ms} ms, p99 ${result.baselineP99Ms} ms; p50 ratio ${result.p50Ratio}); ` +
        `images_generated ${result.imagesGenerated}/${REQUESTS}`,
    );
    console.log(
      `preview: ${frames.length} frames prepared in ${result.previewPrepareMs} ms, encoded in ${result.previewEncodeMs} ms ` +
        `(${Math.round(mp4.length / 1024)} KiB, ${durationSeconds} s)`,
    );
    console.log(JSON.stringify(result));
    if (!result.exactlyOnce) process.exitCode = 1;
  } finally {
    await app.close();
    await transport.stop(1000);
    await database.destroy();
    await rm(blobDir, { recursive: true, force: true });
  }
}

await main();
