import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ImageServiceConfig, imageServiceConfigSchema, loadConfig } from '@astria/config';
import { queryRows } from '@astria/db';
import { createTestDatabase, type TestDatabase, waitFor } from '@astria/db/testing';
import { resolveFfmpeg } from '@astria/dev-programs';
import { buildEnvelope, catalog, type EventInput, type EventType, type MemoryTransport } from '@astria/events';
import { buildTestService } from '@astria/service-host/testing';
import { type AstriaSimulator, type AstriaSimulatorOptions, startAstriaSimulator } from '@astria/simulators/astria';
import { startWhatsAppSimulator, type WhatsAppSimulator } from '@astria/simulators/whatsapp';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { imageServiceApp } from '../src/app.js';

export const ASTRIA_KEY = 'test-astria-key';
export const WA_TOKEN = 'test-whatsapp-token';
export const SIGNING_SECRET = 'test-callback-secret-0123456789abcdef';
export const UPDATE_TOKEN = 'test-update-images-token';

export interface Harness {
  app: FastifyInstance;
  config: ImageServiceConfig;
  database: TestDatabase;
  astria: AstriaSimulator;
  whatsapp: WhatsAppSimulator;
  transport: MemoryTransport;
  /** Where Astria calls back (a front server that forwards to the app). */
  publicUrl: string;
  blobDir: string;
  /** Publishes an event as its producer would; resolves once image-service has handled it. */
  publish<T extends EventType>(type: T, data: EventInput<T>, key?: string): Promise<void>;
  /** Envelopes image-service wrote to its outbox, oldest first. */
  published(type?: EventType): Promise<Array<{ type: string; data: Record<string, unknown> }>>;
  close(): Promise<void>;
}

export async function startHarness(
  options: { astria?: Partial<AstriaSimulatorOptions>; env?: Record<string, string>; schedulePreviews?: boolean } = {},
): Promise<Harness> {
  const database = await createTestDatabase();
  const astria = await startAstriaSimulator({ apiKey: ASTRIA_KEY, trainingDelayMs: 150, ...options.astria });
  const whatsapp = await startWhatsAppSimulator({
    phoneNumberId: '106540352242922',
    accessToken: WA_TOKEN,
    appSecret: 'test-app-secret',
  });
  let app: FastifyInstance | undefined;
  // Astria calls back over HTTP; this front server forwards to the app (the app itself never listens in tests).
  const front: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (!app) {
        res.writeHead(503).end();
        return;
      }
      app
        .inject({
          method: req.method as 'POST',
          url: req.url ?? '/',
          headers: req.headers as IncomingHttpHeaders & Record<string, string>,
          payload: Buffer.concat(chunks),
        })
        .then((r) => {
          res.writeHead(r.statusCode, { 'content-type': String(r.headers['content-type'] ?? 'application/json') });
          res.end(r.rawPayload);
        })
        .catch(() => res.writeHead(500).end());
    });
  });
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  const publicUrl = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
  const blobDir = await mkdtemp(join(tmpdir(), 'image-service-blobs-'));
  const config = loadConfig('image-service', imageServiceConfigSchema, {
    WHATSAPP_API_URL: whatsapp.url,
    WHATSAPP_NUMBER_ID: '106540352242922',
    WHATSAPP_API_KEY: WA_TOKEN,
    ASTRIA_API_URL: astria.url,
    ASTRIA_API_KEY: ASTRIA_KEY,
    ASTRIA_MAX_RETRIES: '2',
    ASTRIA_RETRY_BASE_MS: '5',
    ASTRIA_TIMEOUT_MS: '5000',
    PUBLIC_BASE_URL: publicUrl,
    CALLBACK_SIGNING_SECRET: SIGNING_SECRET,
    UPDATE_IMAGES_TOKEN: UPDATE_TOKEN,
    BLOB_LOCAL_DIR: blobDir,
    FFMPEG_PATH: resolveFfmpeg().path,
    LOG_LEVEL: 'silent',
    EVENT_RETRY_BASE_MS: '5',
    EVENT_RETRY_MAX_MS: '50',
    OUTBOX_SAFETY_POLL_MS: '50',
    ...options.env,
  });
  const service = await buildTestService({
    service: 'image-service',
    plugin: imageServiceApp,
    options: { config, schedulePreviews: options.schedulePreviews ?? false },
    database,
    transport: { retry: { baseMs: 5, maxMs: 20 } },
    events: { maxDeliveryCount: 3, relay: { safetyPollMs: 50 } },
  });
  app = service.app;
  const { transport } = service;
  await service.startEvents();

  const harness: Harness = {
    app,
    config,
    database,
    astria,
    whatsapp,
    transport,
    publicUrl,
    blobDir,
    async publish(type, data, key) {
      const definition = catalog[type];
      const envelope = buildEnvelope(type, definition.version, data, {
        source: definition.producer,
        key: key ?? (data as { userId?: string }).userId ?? null,
      });
      await transport.publish([{ envelope }]);
      // The handlers only record jobs: wait for the job worker to finish them.
      await waitFor(
        async () =>
          (await count(database, 'imaging.photos', "status = 'pending'")) === 0 &&
          (await count(database, 'imaging.tunes', "status = 'pending'")) === 0,
        { what: 'pending photo and training jobs to finish', timeoutMs: 15_000 },
      );
    },
    async published(type) {
      const rows = await queryRows<{ type: string; envelope: { data: Record<string, unknown> } }>(
        database.db,
        type
          ? sql`select type, envelope from imaging.outbox where type = ${type} order by seq`
          : sql`select type, envelope from imaging.outbox order by seq`,
      );
      return rows.map((r) => ({ type: r.type, data: r.envelope.data }));
    },
    async close() {
      await astria.close();
      await app?.close();
      await transport.stop(1000);
      await whatsapp.close();
      await new Promise<void>((resolve) => front.close(() => resolve()));
      await database.destroy();
      await rm(blobDir, { recursive: true, force: true });
    },
  };
  return harness;
}

/** A real JPEG selfie stand-in. */
export function jpeg(seed = 1, width = 320, height = 400): Promise<Buffer> {
  return sharp({
    create: { width, height, channels: 3, background: { r: 40 + seed * 20, g: 120, b: 200 - seed * 10 } },
  })
    .jpeg()
    .toBuffer();
}

export function photoMessage(userId: string, messageId: string, mediaId: string): EventInput<'user_message_received'> {
  return {
    userId,
    messageId,
    receivedAt: new Date().toISOString(),
    type: 'image',
    image: { mediaId, mimeType: 'image/jpeg' },
    trainingPhoto: true,
  };
}

export async function count(database: TestDatabase, table: string, where = 'true'): Promise<number> {
  const rows = await queryRows<{ n: number | string }>(
    database.db,
    sql.raw(`select count(*)::int as n from ${table} where ${where}`),
  );
  return Number(rows[0]?.n ?? 0);
}

/** Sends `n` accepted photos for a user and returns their photo ids. */
export async function acceptedPhotos(h: Harness, userId: string, n: number, prefix = 'p'): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const { mediaId } = h.whatsapp.addMedia(await jpeg(i + 1), 'image/jpeg');
    const messageId = `wamid.${prefix}.${userId}.${i}`;
    await h.publish('user_message_received', photoMessage(userId, messageId, mediaId));
    const event = (await h.published('image_processed')).find((e) => e.data.messageId === messageId);
    if (event?.data.status !== 'accepted') throw new Error(`photo ${messageId} was not accepted`);
    ids.push(String(event.data.photoId));
  }
  return ids;
}

export function trainingRequest(
  requestId: string,
  userId: string,
  photoIds: string[],
  extra: Partial<EventInput<'training_requested'>> = {},
): EventInput<'training_requested'> {
  return {
    requestId,
    userId,
    packId: 260,
    tier: 'standard',
    subjectClass: 'woman',
    photoIds,
    paymentId: `pay-${requestId}`,
    ...extra,
  };
}
