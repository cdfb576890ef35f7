import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Env, loadConfig } from '@astria/config';
import { createDatabase, type Database, migrate, queryRows, SERVICE_SCHEMAS, type ServiceName } from '@astria/db';
import { createEventRuntime, MemoryTransport } from '@astria/events';
import { createService } from '@astria/service-host';
import { createLogger } from '@astria/service-kit';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { type ChatMessage, type ChatSnapshot, ChatStore } from './chat.js';
import { type SandboxConfig, sandboxConfigSchema } from './config.js';
import { buildPageServer } from './page-server.js';
import { resolvePorts } from './ports.js';
import { createSampleInspector, readSample } from './samples.js';
import { buildServiceEnv, SANDBOX_PRICES, SANDBOX_SECRETS, type SandboxUrls, SERVICE_SPECS } from './services.js';
import {
  ACCEPTED_INSPECTION,
  type AstriaSimulatorHandle,
  type PaymentSimulatorHandle,
  startAstriaSimulator,
  startPaymentSimulator,
  startWhatsAppSimulator,
  type WhatsAppSimulatorHandle,
} from './simulators.js';
import { EventTimeline, ObservedTransport } from './timeline.js';

/** Where the simulators deliver webhooks on the services (the services' own routes). */
export const WEBHOOK_PATHS = {
  whatsapp: '/whatsapp/webhook',
  sumit: (token: string) => `/payment-received?token=${encodeURIComponent(token)}`,
  stripe: '/stripe/webhook',
};

export type PortName = 'page' | ServiceName | 'whatsapp-simulator' | 'astria-simulator' | 'payment-simulator';

export interface StartSandboxOptions {
  /** The environment (default process.env): sandbox settings and any real API settings. */
  env?: Env;
  /** Port overrides; 0 picks a free port. */
  ports?: Partial<Record<PortName, number>>;
  host?: string;
  /** Data directory (PGlite, blobs, chat log); 'memory' keeps nothing (tests). */
  dataDir?: string;
  /** PostgreSQL instead of PGlite. */
  databaseUrl?: string;
  /** How long a simulated tune trains. */
  trainingDelayMs?: number;
  /** Service log level (default: SANDBOX_LOG_LEVEL, warn). */
  logLevel?: string;
  /** Ask the image service to (re)build the packs' preview videos at start (default true; uses ffmpeg). */
  buildPreviews?: boolean;
  /** Where the startup summary goes (default: stdout); null keeps quiet. */
  print?: ((line: string) => void) | null;
}

export interface ComposedService {
  service: ServiceName;
  url: string;
  app: FastifyInstance;
}

export interface UserActions {
  text(phone: string, body: string, name?: string): Promise<ChatMessage>;
  button(phone: string, id: string, title: string): Promise<ChatMessage>;
  listReply(phone: string, id: string, title: string): Promise<ChatMessage>;
  photo(phone: string, bytes: Buffer, mimeType: string, caption?: string): Promise<ChatMessage>;
  sample(phone: string, name: string): Promise<ChatMessage>;
  /** The user read a bot message: a `read` status goes to the message service, as Meta would send. */
  read(phone: string, messageId: string): Promise<void>;
}

export interface Sandbox {
  urls: SandboxUrls;
  /** What is simulated and what is real. */
  simulated: { whatsapp: boolean; astria: boolean; payments: boolean };
  services: ComposedService[];
  /** Services that could not be composed, and why: empty since every service is a static dependency (kept for callers). */
  missing: Array<{ service: ServiceName; why: string }>;
  database: Database;
  chat: ChatStore;
  timeline: EventTimeline;
  user: UserActions;
  whatsapp: WhatsAppSimulatorHandle | undefined;
  astria: AstriaSimulatorHandle | undefined;
  payments: PaymentSimulatorHandle | undefined;
  /** From the call to everything listening and consuming. */
  startupMs: number;
  /** Where the startup time went, in ms (database, migrations, services). */
  timings: Record<string, number>;
  /** Events not yet settled: unpublished outbox rows of every composed service plus deliveries in progress. */
  pendingEvents(): Promise<number>;
  close(): Promise<void>;
  /**
   * SIGTERM: every service's readiness answers 503 at once while requests are still served for `drainMs`
   * (default SHUTDOWN_DRAIN_MS), then everything closes (in-flight requests and handlers finish).
   */
  shutdown(drainMs?: number): Promise<void>;
  /** SHUTDOWN_DRAIN_MS: how long `shutdown()` keeps serving with readiness 503. */
  shutdownDrainMs: number;
}

const PHONE = /^\d{8,15}$/;

export function assertPhone(phone: string): void {
  if (!PHONE.test(phone)) throw Object.assign(new Error('a phone number is 8 to 15 digits'), { statusCode: 400 });
}

/**
 * The whole bot in one process: one database (PGlite under the data dir, or PostgreSQL), one shared
 * memory transport, a simulator for every external API whose URL is not configured, each service
 * composed exactly as its main.ts would run it, and the chat page.
 */
export async function startSandbox(options: StartSandboxOptions = {}): Promise<Sandbox> {
  const started = performance.now();
  const userEnv = options.env ?? process.env;
  const config: SandboxConfig = loadConfig('sandbox', sandboxConfigSchema, userEnv);
  const print = options.print === undefined ? (line: string) => process.stdout.write(`${line}\n`) : options.print;
  const host = options.host ?? config.SANDBOX_HOST;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const logLevel = options.logLevel ?? config.SANDBOX_LOG_LEVEL;
  const databaseUrl = options.databaseUrl ?? config.DATABASE_URL;
  const closers: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    for (const close of closers.splice(0).reverse()) {
      try {
        await close();
      } catch {
        // keep closing the rest
      }
    }
  };
  const inMemory = (options.dataDir ?? config.SANDBOX_DATA_DIR) === 'memory';
  const dataDir = inMemory
    ? await mkdtemp(join(tmpdir(), 'astria-sandbox-'))
    : resolve(options.dataDir ?? config.SANDBOX_DATA_DIR);
  mkdirSync(dataDir, { recursive: true });
  if (inMemory) closers.push(() => rm(dataDir, { recursive: true, force: true }));

  const ports = await resolvePorts(host, {
    page: options.ports?.page ?? config.SANDBOX_PORT,
    'message-service': options.ports?.['message-service'] ?? config.MESSAGE_SERVICE_PORT,
    'image-service': options.ports?.['image-service'] ?? config.IMAGE_SERVICE_PORT,
    'payment-service': options.ports?.['payment-service'] ?? config.PAYMENT_SERVICE_PORT,
    'maintenance-service': options.ports?.['maintenance-service'] ?? config.MAINTENANCE_SERVICE_PORT,
    'whatsapp-simulator': options.ports?.['whatsapp-simulator'] ?? config.WHATSAPP_SIMULATOR_PORT,
    'astria-simulator': options.ports?.['astria-simulator'] ?? config.ASTRIA_SIMULATOR_PORT,
    'payment-simulator': options.ports?.['payment-simulator'] ?? config.PAYMENT_SIMULATOR_PORT,
  } satisfies Record<PortName, number>);
  const at = (port: number) => `http://${urlHost}:${port}`;
  const serviceUrls = {
    'message-service': at(ports['message-service']),
    'image-service': at(ports['image-service']),
    'payment-service': at(ports['payment-service']),
    'maintenance-service': at(ports['maintenance-service']),
  } satisfies Record<ServiceName, string>;

  // The slow, independent steps start at once: the database (PGlite's first start runs initdb) with
  // its migrations, and loading the services' code; the simulators start meanwhile.
  const timings: Record<string, number> = {};
  const since = (t0: number) => Math.round(performance.now() - t0);
  const databaseReady = (async () => {
    const t0 = performance.now();
    const database = await createDatabase({
      url: databaseUrl,
      poolMax: 20,
      pgliteDataDir: inMemory ? 'memory' : join(dataDir, 'pglite'),
      applicationName: 'astria-sandbox',
    });
    closers.push(() => database.close());
    timings.database = since(t0);
    const t1 = performance.now();
    await migrate(database, { url: databaseUrl });
    timings.migrations = since(t1);
    return database;
  })();
  // Settled before any cleanup, so a failure elsewhere never leaves the database open.
  const background = Promise.allSettled([databaseReady]);

  try {
    // ---- simulators for every external API whose URL is not configured
    const s = SANDBOX_SECRETS;
    let whatsapp: WhatsAppSimulatorHandle | undefined;
    let astria: AstriaSimulatorHandle | undefined;
    let payments: PaymentSimulatorHandle | undefined;
    const notes: string[] = [];
    const real = realApis(userEnv, notes);
    if (!real.whatsapp) {
      whatsapp = await startWhatsAppSimulator({
        phoneNumberId: s.whatsappNumberId,
        accessToken: s.whatsappAccessToken,
        appSecret: s.whatsappAppSecret,
        webhookUrl: `${serviceUrls['message-service']}${WEBHOOK_PATHS.whatsapp}`,
        host,
        port: ports['whatsapp-simulator'],
      });
      const sim = whatsapp;
      closers.push(() => sim.close());
    }
    if (!real.astria) {
      const inspectSample = await createSampleInspector();
      const accepted = ACCEPTED_INSPECTION;
      astria = await startAstriaSimulator({
        apiKey: s.astriaApiKey,
        host,
        port: ports['astria-simulator'],
        trainingDelayMs: options.trainingDelayMs ?? config.SANDBOX_TRAINING_DELAY_MS,
        inspect: (file: { bytes: Buffer }) => {
          const verdict = inspectSample(file.bytes);
          return verdict.accepted ? { ...accepted, name: verdict.subject } : { ...accepted, [verdict.flag]: true };
        },
      });
      const sim = astria;
      closers.push(() => sim.close());
    }
    let paymentLinks: { lite: string; standard: string; premium: string } | undefined;
    let stripeTierMapping: string | undefined;
    if (!real.payments) {
      payments = await startPaymentSimulator({
        host,
        port: ports['payment-simulator'],
        sumitWebhookUrl: `${serviceUrls['payment-service']}${WEBHOOK_PATHS.sumit(s.sumitWebhookToken)}`,
        stripeWebhookUrl: `${serviceUrls['payment-service']}${WEBHOOK_PATHS.stripe}`,
        stripeWebhookSecret: s.stripeWebhookSecret,
        prices: SANDBOX_PRICES,
      });
      const sim = payments;
      closers.push(() => sim.close());
      const link = (tier: 'lite' | 'standard' | 'premium') =>
        config.SANDBOX_PAYMENT_PROVIDER === 'stripe' ? sim.stripePaymentLink(tier) : sim.sumitPaymentLink(tier);
      paymentLinks = { lite: link('lite'), standard: link('standard'), premium: link('premium') };
      stripeTierMapping = sim.stripeTierMapping();
    }

    // ---- the chat, fed by the WhatsApp simulator (subscribed before the services start and closed after
    // they stop, so nothing the bot sends while draining is missing from the page)
    const chatFile = inMemory ? undefined : join(dataDir, 'sandbox-chat.json');
    const chat = new ChatStore(chatFile ? readSnapshot(chatFile) : undefined);
    if (chatFile) closers.push(persistSnapshot(chat, chatFile));
    if (whatsapp) {
      // Stamped on arrival (ms precision), so the page orders the bot's answers after what caused them.
      const unsubscribe = whatsapp.onSent((sent) => chat.applyBotSend(sent.payload, String(sent.wamid)));
      if (typeof unsubscribe === 'function') closers.push(async () => unsubscribe());
    }
    // The WhatsApp API answers a mark-as-read without a trace, so the page learns it from the event the
    // message service handled: the blue ticks (and the typing indicator) on the user's message.
    const timeline = new EventTimeline();
    timeline.onHandled((envelope) => {
      if (envelope.type !== 'whatsapp_send_requested') return;
      const message = (envelope.data as { message?: { kind?: string; messageId?: string; typing?: boolean } }).message;
      if (message?.kind === 'mark_read' && message.messageId) {
        chat.setStatus(message.messageId, 'read', message.typing ?? false);
      }
    });
    const urls: SandboxUrls = {
      page: at(ports.page),
      services: serviceUrls,
      ...(whatsapp ? { whatsapp: whatsapp.url } : {}),
      ...(astria ? { astria: astria.url } : {}),
      ...(payments ? { payments: payments.url } : {}),
    };

    // ---- one database, migrated; one shared transport, observed for the timeline
    const database = await databaseReady;
    const tServices = performance.now();
    const memory = new MemoryTransport({ retry: { baseMs: 250, maxMs: 10_000 } });
    const transport = new ObservedTransport(memory, timeline);
    await transport.start();
    closers.push(() => transport.stop(3000));

    // ---- every service, composed as its main.ts would run it
    const serviceEnv = buildServiceEnv({
      urls,
      dataDir,
      databaseUrl,
      logLevel,
      paymentLinks,
      stripeTierMapping,
      userEnv: withoutSandboxOnly(userEnv),
    });
    const services: ComposedService[] = [];
    const missing: Array<{ service: ServiceName; why: string }> = [];
    for (const spec of SERVICE_SPECS) {
      const port = ports[spec.service];
      const serviceConfig = loadConfig(spec.service, spec.configSchema, {
        ...serviceEnv,
        PORT: String(port),
        HOST: host,
      }) as Record<string, unknown> & { LOG_LEVEL: 'info' };
      const registry = new Registry();
      const logger = createLogger(spec.service, logLevel);
      const events = createEventRuntime({
        database,
        service: spec.service,
        transport,
        registry,
        logger,
        maxDeliveryCount: Number(serviceConfig.EVENT_MAX_DELIVERY_COUNT ?? 10),
        relay: { safetyPollMs: Number(serviceConfig.OUTBOX_SAFETY_POLL_MS ?? 2000) },
      });
      const app = await createService(
        {
          service: spec.service,
          config: serviceConfig,
          database,
          transport,
          events,
          registry,
          ownsDatabase: false,
          ownsTransport: false,
          logger: logLevel !== 'silent',
          shutdownGraceMs: 3000,
        },
        spec.app,
        { config: serviceConfig, ...(spec.extraOptions ?? {}) },
      );
      closers.push(() => app.close());
      await app.listen({ host, port });
      await events.start();
      services.push({ service: spec.service, url: serviceUrls[spec.service], app });
    }

    const userMedia = new Map<string, { bytes: Buffer; mimeType: string }>();
    const user = userActions(whatsapp, chat, userMedia);

    timings.services = since(tServices);
    const page = await buildPageServer({
      chat,
      timeline,
      user,
      urls,
      services: SERVICE_SPECS.map((spec) => ({
        service: spec.service,
        url: serviceUrls[spec.service],
        running: services.some((c) => c.service === spec.service),
      })),
      fetchMedia: async (mediaId) =>
        userMedia.get(mediaId) ?? (whatsapp ? fetchSimulatorMedia(whatsapp.url, mediaId) : undefined),
      simulated: { whatsapp: Boolean(whatsapp), astria: Boolean(astria), payments: Boolean(payments) },
      ...(whatsapp ? { clock: simulatorClock(whatsapp) } : {}),
      optedOutUsers: async () =>
        (
          await queryRows<{ user_id: string }>(
            database.db,
            sql`select user_id from messaging.conversations where data->>'optedOut' = 'true' order by user_id`,
          )
        ).map((r) => r.user_id),
    });
    closers.push(() => page.close());
    await page.listen({ host, port: ports.page });

    const startupMs = Math.round(performance.now() - started);
    if ((options.buildPreviews ?? true) && services.some((c) => c.service === 'image-service')) {
      void buildPreviews(serviceUrls['image-service'], serviceEnv.UPDATE_IMAGES_TOKEN ?? '', notes);
    }
    const sandbox: Sandbox = {
      urls,
      simulated: { whatsapp: Boolean(whatsapp), astria: Boolean(astria), payments: Boolean(payments) },
      services,
      missing,
      database,
      chat,
      timeline,
      user,
      whatsapp,
      astria,
      payments,
      startupMs,
      timings,
      pendingEvents: async () => {
        let pending = memory.inFlight;
        for (const composed of services) {
          const rows = await queryRows<{ n: number | string }>(
            database.db,
            sql.raw(
              `select count(*) as n from "${SERVICE_SCHEMAS[composed.service]}"."outbox" where published_at is null`,
            ),
          );
          pending += Number(rows[0]?.n ?? 0);
        }
        return pending;
      },
      close: closeAll,
      shutdownDrainMs: config.SHUTDOWN_DRAIN_MS,
      async shutdown(drainMs = config.SHUTDOWN_DRAIN_MS) {
        for (const composed of services) composed.app.startDraining();
        if (drainMs > 0) await new Promise((resolve) => setTimeout(resolve, drainMs));
        await closeAll();
      },
    };
    if (print)
      for (const line of summary(sandbox, database.driver, dataDir, inMemory, real.payments, notes)) print(line);
    return sandbox;
  } catch (error) {
    await background;
    await closeAll();
    throw error;
  }
}

/**
 * The packs' *Show examples* videos are built by the image service on request (POST /update-images)
 * and on its schedule; on a fresh sandbox there are none yet, so ask at every start, in the background
 * (a second ask while a build runs is answered `already_running`).
 */
async function buildPreviews(imageServiceUrl: string, token: string, notes: string[]) {
  // Right after start-up the shared event loop is busy and the service may answer 503: back off and retry.
  for (let attempt = 1; attempt <= 6; attempt++) {
    try {
      const response = await fetch(`${imageServiceUrl}/update-images`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      });
      if (response.status !== 503 && response.status < 500) return;
    } catch (error) {
      if (attempt === 6)
        notes.push(`preview videos not requested: ${error instanceof Error ? error.message : String(error)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000 * 2 ** (attempt - 1)).unref());
  }
}

const isPlaceholder = (value: string | undefined) => !value?.trim() || /^change-?me/i.test(value.trim());

/**
 * An external API is used for real when its URL is set together with a real-looking credential; a
 * URL alone (e.g. copied from .env.example with placeholder keys) keeps the simulator, with a note.
 */
export function realApis(env: Env, notes: string[] = []): { whatsapp: boolean; astria: boolean; payments: boolean } {
  const decide = (name: string, url: string | undefined, credential: string, value: string | undefined) => {
    if (!url?.trim()) return false;
    if (!isPlaceholder(value)) return true;
    notes.push(
      `${name} is set but ${credential} is not (or is a placeholder): using the ${name.split('_')[0]?.toLowerCase()} simulator`,
    );
    return false;
  };
  return {
    whatsapp: decide('WHATSAPP_API_URL', env.WHATSAPP_API_URL, 'WHATSAPP_API_KEY', env.WHATSAPP_API_KEY),
    astria: decide('ASTRIA_API_URL', env.ASTRIA_API_URL, 'ASTRIA_API_KEY', env.ASTRIA_API_KEY),
    payments: Boolean(env.LITE_TIER_PAYMENT_LINK?.trim()),
  };
}

/** Sandbox-only variables are not passed to the services (their URL settings mean "real API"). */
function withoutSandboxOnly(env: Env): Env {
  const out: Env = {};
  for (const [key, value] of Object.entries(env)) {
    if (key.startsWith('SANDBOX_') || key === 'PORT' || key === 'HOST' || key.endsWith('_SIMULATOR_PORT')) continue;
    if (/^(MESSAGE|IMAGE|PAYMENT|MAINTENANCE)_SERVICE_PORT$/.test(key)) continue;
    out[key] = value;
  }
  return out;
}

function readSnapshot(file: string): ChatSnapshot | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ChatSnapshot;
  } catch {
    return undefined;
  }
}

/** Writes the chat to disk shortly after each change, and once more on close. */
function persistSnapshot(chat: ChatStore, file: string): () => Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const write = () => {
    timer = undefined;
    writeFileSync(file, JSON.stringify(chat.snapshot()));
  };
  const unsubscribe = chat.subscribe(() => {
    if (!timer) {
      timer = setTimeout(write, 250);
      timer.unref();
    }
  });
  return async () => {
    unsubscribe();
    if (timer) clearTimeout(timer);
    write();
  };
}

async function fetchSimulatorMedia(
  graphUrl: string,
  mediaId: string,
): Promise<{ bytes: Buffer; mimeType: string } | undefined> {
  const headers = { authorization: `Bearer ${SANDBOX_SECRETS.whatsappAccessToken}` };
  const meta = await fetch(`${graphUrl}/${encodeURIComponent(mediaId)}`, { headers });
  if (!meta.ok) return undefined;
  const { url, mime_type } = (await meta.json()) as { url: string; mime_type: string };
  const media = await fetch(url, { headers });
  if (!media.ok) return undefined;
  return { bytes: Buffer.from(await media.arrayBuffer()), mimeType: mime_type };
}

function userActions(
  whatsapp: WhatsAppSimulatorHandle | undefined,
  chat: ChatStore,
  userMedia: Map<string, { bytes: Buffer; mimeType: string }>,
): UserActions {
  const sim = () => {
    if (!whatsapp) {
      throw Object.assign(new Error('WhatsApp is not simulated: chat from a real phone instead'), { statusCode: 409 });
    }
    return whatsapp;
  };
  const nameOf = (phone: string) => chat.listUsers().find((u) => u.phone === phone)?.name ?? 'Sandbox User';
  /** Puts the user's message in the chat first (the bot may react before the webhook answers), then delivers it. */
  const deliver = async (
    draft: Omit<ChatMessage, 'id' | 'direction' | 'at' | 'reactions' | 'status'>,
    send: (options: { wamid: string; name: string }) => Promise<unknown>,
  ): Promise<ChatMessage> => {
    assertPhone(draft.phone);
    const wamid = `wamid.sandbox.${randomUUID()}`;
    chat.put({ ...draft, id: wamid, direction: 'in', at: new Date().toISOString(), reactions: [], status: 'sent' });
    // Like Meta: a webhook that is unreachable or answers 5xx is delivered again (same wamid, so the
    // message service's de-duplication keeps it to one), with backoff.
    let status = 0;
    for (let attempt = 1; attempt <= 5; attempt++) {
      const result = (await send({ wamid, name: nameOf(draft.phone) })) as { status?: number };
      status = typeof result?.status === 'number' ? result.status : 200;
      if (status !== 0 && status < 500) break;
      if (attempt < 5) await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** (attempt - 1)));
    }
    chat.setStatus(wamid, status >= 200 && status < 300 ? 'delivered' : 'failed');
    return chat.get(wamid) as ChatMessage;
  };
  const photo = async (phone: string, bytes: Buffer, mimeType: string, caption?: string) => {
    const { mediaId } = await sim().addMedia(bytes, mimeType);
    userMedia.set(mediaId, { bytes, mimeType });
    return deliver(
      { phone, kind: 'image', mediaUrl: `/api/media/${encodeURIComponent(mediaId)}`, ...(caption ? { caption } : {}) },
      (o) => sim().sendImage(phone, mediaId, { ...o, ...(caption ? { caption } : {}) }),
    );
  };
  return {
    text: (phone, body, name) => {
      if (name) chat.addUser(phone, name);
      return deliver({ phone, kind: 'text', text: body }, (o) => sim().sendText(phone, body, o));
    },
    button: (phone, id, title) =>
      deliver({ phone, kind: 'text', text: title, replyTo: { id, title } }, (o) =>
        sim().sendButtonReply(phone, id, title, o),
      ),
    listReply: (phone, id, title) =>
      deliver({ phone, kind: 'text', text: title, replyTo: { id, title } }, (o) =>
        sim().sendListReply(phone, id, title, o),
      ),
    photo,
    sample: async (phone, name) => photo(phone, await readSample(name), 'image/jpeg'),
    read: async (phone, messageId) => {
      assertPhone(phone);
      const w = sim() as WhatsAppSimulatorHandle & {
        sendStatus?: (wamid: string, status: string, opts?: { recipient?: string }) => Promise<unknown>;
      };
      const message = chat.get(messageId);
      if (message?.direction !== 'out' || message.status === 'read') return;
      chat.setStatus(messageId, 'read');
      await w.sendStatus?.(messageId, 'read', { recipient: phone });
    },
  };
}

const seconds = (ms: number | undefined) => `${((ms ?? 0) / 1000).toFixed(1)} s`;

function summary(
  sandbox: Sandbox,
  driver: string,
  dataDir: string,
  inMemory: boolean,
  realPayments: boolean,
  notes: string[],
): string[] {
  const lines = [
    '',
    `  astria-bot sandbox ready in ${seconds(sandbox.startupMs)} (database ${seconds(sandbox.timings.database)}, migrations ${seconds(sandbox.timings.migrations)}, services ${seconds(sandbox.timings.services)})`,
    '',
    `  Chat page            ${sandbox.urls.page}`,
  ];
  for (const service of SERVICE_SPECS.map((s) => s.service)) {
    const running = sandbox.services.find((c) => c.service === service);
    const why = sandbox.missing.find((m) => m.service === service)?.why;
    lines.push(`  ${service.padEnd(20)} ${running ? `${running.url}  (/health, /metrics)` : `not running: ${why}`}`);
  }
  lines.push('');
  lines.push(
    `  WhatsApp             ${sandbox.simulated.whatsapp ? `simulated at ${sandbox.urls.whatsapp}` : 'REAL (WHATSAPP_API_URL)'}`,
  );
  lines.push(
    `  Astria               ${sandbox.simulated.astria ? `simulated at ${sandbox.urls.astria}` : 'REAL (ASTRIA_API_URL)'}`,
  );
  lines.push(
    `  SUMIT / Stripe       ${sandbox.simulated.payments ? `simulated at ${sandbox.urls.payments}` : realPayments ? 'REAL payment links (*_TIER_PAYMENT_LINK)' : 'not available (placeholder payment links)'}`,
  );
  lines.push(
    `  Database             ${driver === 'pglite' ? (inMemory ? 'PGlite in memory' : `PGlite at ${join(dataDir, 'pglite')}`) : 'PostgreSQL (DATABASE_URL)'}`,
  );
  lines.push('  Events               in-process memory transport');
  for (const note of notes) lines.push(`  ! ${note}`);
  lines.push('');
  return lines;
}

/** The page's "+25 h": the simulated WhatsApp's clock, and how far it was moved. */
function simulatorClock(whatsapp: WhatsAppSimulatorHandle): { offsetMs(): number; advance(ms: number): void } {
  let offset = 0;
  return {
    offsetMs: () => offset,
    advance(ms) {
      whatsapp.advanceClock(ms);
      offset += ms;
    },
  };
}
