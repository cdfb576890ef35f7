import { createHash, createHmac, randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';

/**
 * A local HTTP simulator of the WhatsApp Business Cloud API (Graph API), for tests and the sandbox:
 * - `POST /v21.0/{phone_number_id}/messages` accepts what the bot sends, answers with a wamid and
 *   records it (`sent`, `onSent`); errors on demand (`failNext`, `failFor`) shaped like Graph's;
 * - `GET|POST /v21.0/{waba_id}/message_templates` list the template library (the known templates, in `en`
 *   and `he`, APPROVED) and submit new ones (PENDING until `setTemplateStatus`), like Graph;
 * - `GET /v21.0/{media_id}` + the download URL serve bytes stored with `addMedia` (Bearer token); the URL
 *   expires 5 minutes after it was given, by the simulator's clock (404, like Meta's), or at once for the
 *   URLs `expireNextMediaUrls` spoils; `expireMedia` removes the media itself;
 * - `sendText`, `sendImage`, `sendButtonReply`, `sendListReply`, `sendStatus` build notifications
 *   like Meta's, serialize them the way Meta does (non-ASCII as `\uXXXX`, `/` as `\/`), sign them
 *   with `X-Hub-Signature-256` and POST them to the webhook URL;
 * - with `autoStatuses`, every accepted message is followed by sent → delivered → read callbacks;
 * - like Graph, it enforces the 24-hour customer-service window by its own clock (a free-form send to
 *   a user whose last message is 24 h old gets 131047; `advanceClock` moves the clock forward) and the
 *   per-user pair rate (131056 when one user gets more than the burst, then one per interval).
 */

export const GRAPH_VERSION = 'v21.0';

export interface WhatsAppSimulatorOptions {
  phoneNumberId: string;
  accessToken: string;
  appSecret: string;
  webhookUrl?: string;
  host?: string;
  port?: number;
  /** Business account id used in notifications. */
  wabaId?: string;
  displayPhoneNumber?: string;
  /** Mirror every accepted outbound message as sent → delivered → read status callbacks. */
  autoStatuses?: boolean;
  /**
   * Approved template names (each in `en` and `he`); a template send with another name, or in a language
   * whose template is not APPROVED, gets 132001 (default: the bot's documented defaults).
   */
  templates?: readonly string[];
  /**
   * The pair rate limit, per recipient: `burst` messages at once, then one per `intervalMs`; a send over
   * it gets 400 with code 131056 (default Meta's: one every 6 s, bursts of 45). `false` turns it off.
   */
  pairRate?: PairRate | false;
  /**
   * Refuse free-form sends (131047) to a user whose last message reached the simulator 24 h ago or more
   * by its clock (default true). A recipient who never wrote through the simulator is not checked.
   */
  enforceWindow?: boolean;
}

export interface PairRate {
  intervalMs: number;
  burst: number;
}

/** WhatsApp's pair rate limit: about one message every 6 seconds to one user, bursts of up to 45. */
export const META_PAIR_RATE: PairRate = { intervalMs: 6000, burst: 45 };

/** The customer-service window: free-form messages only within 24 h of the user's last message. */
export const WINDOW_MS = 24 * 60 * 60 * 1000;

/** The message service's documented default template names (docs/operations/whatsapp-templates.md). */
export const DEFAULT_APPROVED_TEMPLATES: readonly string[] = [
  'astria_payment_received',
  'astria_portraits_ready',
  'astria_follow_up',
];

/** A template of the WhatsApp Business Account's library (`GET /{waba-id}/message_templates`). */
export interface SimTemplate {
  id: string;
  name: string;
  language: string;
  status: 'APPROVED' | 'PENDING' | 'REJECTED' | 'PAUSED';
  category: string;
  components: unknown[];
}

export interface SentMessage {
  wamid: string;
  to: string;
  type: string;
  /** The JSON body the bot posted. */
  payload: Record<string, unknown>;
  at: Date;
}

export interface GraphErrorSpec {
  status: number;
  code: number;
  message?: string;
  subcode?: number;
}

export interface InboundOptions {
  /** Profile name in `contacts[]` (default "Test User"). */
  name?: string;
  /** Seconds since the epoch (default now). */
  timestamp?: number;
  /** Explicit wamid (e.g. to deliver the same message twice). */
  wamid?: string;
  /** `context.id`: the message being replied to. */
  contextId?: string;
  /** Business-scoped user id; with `hidePhone`, `from` and `wa_id` are omitted. */
  userId?: string;
  hidePhone?: boolean;
}

export interface WebhookDelivery {
  wamid: string;
  /** HTTP status the webhook answered (0 when it could not be reached). */
  status: number;
}

export interface AfterAcceptFailure {
  code: number;
  title?: string;
  to?: string;
  type?: string;
  count?: number;
  /** Post the failed status (and wait for the webhook's answer) before answering the send: the race where the status comes first. */
  statusFirst?: boolean;
}

export interface RejectedSend {
  to: string;
  type: string;
  code: number;
  at: Date;
}

export interface WhatsAppSimulator {
  /** Base URL including the version, e.g. http://127.0.0.1:PORT/v21.0 (use as WHATSAPP_API_URL). */
  readonly url: string;
  readonly sent: SentMessage[];
  /** Sends refused by the window (131047), the pair rate (131056) or an unknown template (132001). */
  readonly rejected: RejectedSend[];
  /** The simulator's clock: the real time plus whatever `advanceClock` added. */
  now(): Date;
  /** Moves the simulator's clock forward (e.g. 25 h to close every open window). */
  advanceClock(ms: number): void;
  /** The template library of the business account (what `GET /{waba-id}/message_templates` lists). */
  readonly messageTemplates: readonly SimTemplate[];
  /** Meta's review: a submitted template becomes APPROVED (sendable), REJECTED or PAUSED. */
  setTemplateStatus(name: string, language: string, status: SimTemplate['status']): void;
  /** When each user's last message reached the simulator (its clock). */
  lastInboundAt(user: string): Date | null;
  onSent(listener: (message: SentMessage) => void): () => void;
  /** Told of every mark-as-read (+ typing indicator) request: the inbound message id it refers to. */
  onMarkRead(listener: (read: { messageId: string; typing: boolean; at: Date }) => void): () => void;
  failNext(count: number, error: GraphErrorSpec): void;
  /**
   * Accept (200, a wamid) and then report `failed` in a status webhook with `errors[]`, as WhatsApp does
   * for a message it could not deliver after all: the next `count` (default 1) sends matching `to` and
   * `type` (default any), e.g. `{ type: 'image', code: 131053 }`.
   */
  failAfterAccept(spec: AfterAcceptFailure): void;
  failFor(to: string, error: GraphErrorSpec | null): void;
  addMedia(bytes: Buffer | Uint8Array, mimeType: string): { mediaId: string };
  expireMedia(mediaId: string): void;
  /** The next `count` download URLs `GET /{media-id}` hands out are already expired (a slow or retried download). */
  expireNextMediaUrls(count?: number): void;
  setWebhookUrl(url: string): void;
  sendText(from: string, body: string, opts?: InboundOptions): Promise<WebhookDelivery>;
  sendImage(from: string, mediaId: string, opts?: InboundOptions & { caption?: string }): Promise<WebhookDelivery>;
  sendButtonReply(from: string, id: string, title: string, opts?: InboundOptions): Promise<WebhookDelivery>;
  sendListReply(from: string, id: string, title: string, opts?: InboundOptions): Promise<WebhookDelivery>;
  sendStatus(
    wamid: string,
    status: 'sent' | 'delivered' | 'read' | 'failed',
    opts?: { recipient?: string; timestamp?: number; errorCode?: number; errorTitle?: string },
  ): Promise<WebhookDelivery>;
  /** Posts any notification object (signed) to the webhook. */
  postNotification(notification: unknown): Promise<number>;
  close(): Promise<void>;
}

/** Serializes like Meta: JSON with every non-ASCII character escaped as \uXXXX and `/` as `\/`. */
export function metaSerialize(value: unknown): string {
  return JSON.stringify(value)
    .replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/\//g, '\\/');
}

/** `sha256=<hex>` over the exact bytes, keyed with the app secret. */
export function signWebhookBody(appSecret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', appSecret).update(body).digest('hex')}`;
}

/** A wamid shaped like Meta's: base64 of a header, the number and a random id. */
export function makeWamid(to: string): string {
  const inner = Buffer.concat([
    Buffer.from([0x15, 0x02, 0x00, 0x11, 0x18, 0x12]),
    Buffer.from(`${to.replace(/\D/g, '').slice(-12)}`),
    Buffer.from(randomBytes(9).toString('hex').toUpperCase()),
  ]);
  return `wamid.${inner.toString('base64')}`;
}

function graphError(reply: FastifyReply, spec: GraphErrorSpec) {
  return reply.code(spec.status).send({
    error: {
      message: spec.message ?? `(#${spec.code}) simulated error`,
      type: spec.status === 401 ? 'OAuthException' : 'OAuthException',
      code: spec.code,
      ...(spec.subcode ? { error_subcode: spec.subcode } : {}),
      error_data: { messaging_product: 'whatsapp', details: spec.message ?? 'simulated error' },
      fbtrace_id: randomBytes(8).toString('base64url'),
    },
  });
}

interface StoredMedia {
  bytes: Buffer;
  mimeType: string;
  sha256: string;
  expired: boolean;
}

export async function startWhatsAppSimulator(options: WhatsAppSimulatorOptions): Promise<WhatsAppSimulator> {
  const wabaId = options.wabaId ?? '102290129340398';
  const displayPhoneNumber = options.displayPhoneNumber ?? '15550783881';
  let webhookUrl = options.webhookUrl;
  const sent: SentMessage[] = [];
  const listeners = new Set<(message: SentMessage) => void>();
  const readListeners = new Set<(read: { messageId: string; typing: boolean; at: Date }) => void>();
  const failures: GraphErrorSpec[] = [];
  const failuresFor = new Map<string, GraphErrorSpec>();
  const media = new Map<string, StoredMedia>();
  let spoiledMediaUrls = 0;
  const library: SimTemplate[] = (options.templates ?? DEFAULT_APPROVED_TEMPLATES).flatMap((name) =>
    ['en', 'he'].map((language) => ({
      id: String(700_000_000_000_000n + BigInt(`0x${randomBytes(5).toString('hex')}`)),
      name,
      language,
      status: 'APPROVED' as const,
      category: 'UTILITY',
      components: [],
    })),
  );
  const rejected: RejectedSend[] = [];
  const afterAccept: Array<AfterAcceptFailure & { left: number }> = [];
  let clockOffsetMs = 0;
  const now = () => Date.now() + clockOffsetMs;
  const lastInbound = new Map<string, number>();
  const pairRate = options.pairRate === false ? null : (options.pairRate ?? META_PAIR_RATE);
  /** Per recipient, the theoretical arrival time of the next message (GCRA): over the burst when it is too far ahead. */
  const pairTat = new Map<string, number>();
  const enforceWindow = options.enforceWindow ?? true;
  let baseUrl = '';
  let closed = false;
  const background = new Set<Promise<unknown>>();

  const app: FastifyInstance = Fastify({ logger: false, bodyLimit: 16 * 1024 * 1024 });

  const authorized = (request: FastifyRequest) => request.headers.authorization === `Bearer ${options.accessToken}`;

  app.post<{ Params: { phoneNumberId: string }; Body: Record<string, unknown> }>(
    `/${GRAPH_VERSION}/:phoneNumberId/messages`,
    async (request, reply) => {
      if (!authorized(request)) {
        return graphError(reply, { status: 401, code: 190, message: 'Invalid OAuth access token.' });
      }
      if (request.params.phoneNumberId !== options.phoneNumberId) {
        return graphError(reply, {
          status: 400,
          code: 100,
          message: 'Unsupported post request: unknown phone number id',
        });
      }
      const body = request.body;
      if (!body || typeof body !== 'object' || body.messaging_product !== 'whatsapp') {
        return graphError(reply, { status: 400, code: 100, message: 'messaging_product must be whatsapp' });
      }
      const failure = failures.shift();
      if (failure) return graphError(reply, failure);
      if (body.status === 'read') {
        if (typeof body.message_id !== 'string')
          return graphError(reply, { status: 400, code: 100, message: 'message_id required' });
        const read = { messageId: body.message_id, typing: body.typing_indicator !== undefined, at: new Date() };
        for (const listener of readListeners) {
          try {
            listener(read);
          } catch {
            // a listener's failure is its own
          }
        }
        return { success: true };
      }
      const to = typeof body.to === 'string' ? body.to : '';
      const type = typeof body.type === 'string' ? body.type : '';
      if (!to || !type || !(type in body)) {
        return graphError(reply, { status: 400, code: 100, message: 'to, type and the typed object are required' });
      }
      const refuse = (spec: GraphErrorSpec) => {
        rejected.push({ to, type, code: spec.code, at: new Date(now()) });
        return graphError(reply, spec);
      };
      if (type === 'template') {
        const template = body.template as { name?: unknown; language?: { code?: unknown } } | undefined;
        const code = template?.language?.code;
        const approved = library.some(
          (t) =>
            t.name === template?.name && t.status === 'APPROVED' && (typeof code !== 'string' || t.language === code),
        );
        if (!approved) {
          return refuse({
            status: 404,
            code: 132001,
            message: '(#132001) Template name does not exist in the translation',
          });
        }
      }
      const forRecipient = failuresFor.get(to);
      if (forRecipient) return graphError(reply, forRecipient);
      const last = lastInbound.get(to);
      if (enforceWindow && type !== 'template' && last !== undefined && now() - last >= WINDOW_MS) {
        return refuse({
          status: 400,
          code: 131047,
          message: '(#131047) Re-engagement message: more than 24 hours have passed since the recipient last replied',
        });
      }
      if (pairRate) {
        const at = now();
        const tat = Math.max(pairTat.get(to) ?? at, at);
        if (tat - at > (pairRate.burst - 1) * pairRate.intervalMs) {
          return refuse({
            status: 400,
            code: 131056,
            message: '(#131056) (Business Account, Consumer Account) pair rate limit hit',
          });
        }
        pairTat.set(to, tat + pairRate.intervalMs);
      }
      const wamid = makeWamid(to);
      const message: SentMessage = { wamid, to, type, payload: body, at: new Date(now()) };
      sent.push(message);
      for (const listener of listeners) {
        try {
          listener(message);
        } catch {
          // a listener's failure is its own
        }
      }
      const failing = afterAccept.find((f) => (!f.to || f.to === to) && (!f.type || f.type === type));
      if (failing) {
        failing.left--;
        if (failing.left <= 0) afterAccept.splice(afterAccept.indexOf(failing), 1);
        const title = failing.title ?? 'Message failed to send';
        const status = sendStatus(wamid, 'failed', { recipient: to, errorCode: failing.code, errorTitle: title });
        if (failing.statusFirst) await status;
        else track(status);
      } else if (options.autoStatuses) track(autoStatuses(wamid, to));
      return { messaging_product: 'whatsapp', contacts: [{ input: to, wa_id: to }], messages: [{ id: wamid }] };
    },
  );

  app.get<{ Params: { wabaId: string }; Querystring: { limit?: string; after?: string; name?: string } }>(
    `/${GRAPH_VERSION}/:wabaId/message_templates`,
    async (request, reply) => {
      if (!authorized(request))
        return graphError(reply, { status: 401, code: 190, message: 'Invalid OAuth access token.' });
      if (request.params.wabaId !== wabaId)
        return graphError(reply, { status: 400, code: 100, message: 'Unsupported get request.' });
      const matching = library.filter((t) => !request.query.name || t.name === request.query.name);
      const limit = Math.min(Math.max(Number(request.query.limit) || 25, 1), 100);
      const start = Number(request.query.after ? Buffer.from(request.query.after, 'base64url').toString() : 0) || 0;
      const page = matching.slice(start, start + limit);
      const after = Buffer.from(String(start + page.length)).toString('base64url');
      const more = start + page.length < matching.length;
      return {
        data: page,
        paging: {
          cursors: { before: Buffer.from(String(start)).toString('base64url'), after },
          ...(more
            ? { next: `${baseUrl}/${GRAPH_VERSION}/${wabaId}/message_templates?limit=${limit}&after=${after}` }
            : {}),
        },
      };
    },
  );

  app.post<{ Params: { wabaId: string } }>(`/${GRAPH_VERSION}/:wabaId/message_templates`, async (request, reply) => {
    if (!authorized(request))
      return graphError(reply, { status: 401, code: 190, message: 'Invalid OAuth access token.' });
    if (request.params.wabaId !== wabaId)
      return graphError(reply, { status: 400, code: 100, message: 'Unsupported post request.' });
    const body = (request.body ?? {}) as {
      name?: unknown;
      language?: unknown;
      category?: unknown;
      components?: unknown;
    };
    const { name, language, category, components } = body;
    if (
      typeof name !== 'string' ||
      !/^[a-z0-9_]{1,512}$/.test(name) ||
      typeof language !== 'string' ||
      !['UTILITY', 'MARKETING', 'AUTHENTICATION'].includes(String(category)) ||
      !Array.isArray(components) ||
      !components.some((c) => (c as { type?: unknown }).type === 'BODY')
    ) {
      return graphError(reply, { status: 400, code: 100, message: 'Invalid parameter' });
    }
    if (library.some((t) => t.name === name && t.language === language)) {
      return graphError(reply, {
        status: 400,
        code: 100,
        subcode: 2388024,
        message: 'Content in this language already exists',
      });
    }
    const template: SimTemplate = {
      id: String(700_000_000_000_000n + BigInt(`0x${randomBytes(5).toString('hex')}`)),
      name,
      language,
      status: 'PENDING',
      category: String(category),
      components,
    };
    library.push(template);
    return { id: template.id, status: template.status, category: template.category };
  });

  app.get<{ Params: { mediaId: string } }>(`/${GRAPH_VERSION}/:mediaId`, async (request, reply) => {
    if (!authorized(request))
      return graphError(reply, { status: 401, code: 190, message: 'Invalid OAuth access token.' });
    const stored = media.get(request.params.mediaId);
    if (!stored || stored.expired) {
      return graphError(reply, { status: 404, code: 100, message: 'Unsupported get request. Object does not exist' });
    }
    const spoiled = spoiledMediaUrls > 0;
    if (spoiled) spoiledMediaUrls--;
    const expiresAt = Math.floor(now() / 1000) + (spoiled ? -1 : 300);
    return {
      messaging_product: 'whatsapp',
      url: `${baseUrl}/_media/${request.params.mediaId}?ext=${expiresAt}`,
      mime_type: stored.mimeType,
      sha256: stored.sha256,
      file_size: stored.bytes.length,
      id: request.params.mediaId,
    };
  });

  app.get<{ Params: { mediaId: string }; Querystring: { ext?: string } }>(
    '/_media/:mediaId',
    async (request, reply) => {
      if (!authorized(request)) return reply.code(401).send('unauthorized');
      const stored = media.get(request.params.mediaId);
      if (!stored || stored.expired) return reply.code(404).send('not found');
      // The URL of `GET /{media-id}` is short-lived: after `ext` it is gone, the media is not.
      if (Number(request.query.ext ?? 0) * 1000 < now()) return reply.code(404).send('URL signature expired');
      return reply.type(stored.mimeType).send(stored.bytes);
    },
  );

  await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const host = options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1';
  baseUrl = `http://${host}:${port}`;

  function track(promise: Promise<unknown>) {
    const p = promise.catch(() => undefined);
    background.add(p);
    void p.finally(() => background.delete(p));
  }

  async function postNotification(notification: unknown): Promise<number> {
    if (!webhookUrl) throw new Error('the WhatsApp simulator has no webhook URL (setWebhookUrl)');
    const body = metaSerialize(notification);
    try {
      const response = await fetch(webhookUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-hub-signature-256': signWebhookBody(options.appSecret, body),
          'user-agent': 'facebookexternalua',
        },
        body,
      });
      await response.arrayBuffer();
      return response.status;
    } catch {
      return 0;
    }
  }

  function envelope(value: Record<string, unknown>) {
    return {
      object: 'whatsapp_business_account',
      entry: [
        {
          id: wabaId,
          changes: [
            {
              value: {
                messaging_product: 'whatsapp',
                metadata: { display_phone_number: displayPhoneNumber, phone_number_id: options.phoneNumberId },
                ...value,
              },
              field: 'messages',
            },
          ],
        },
      ],
    };
  }

  async function sendInbound(
    from: string,
    type: string,
    typed: Record<string, unknown>,
    opts: InboundOptions = {},
  ): Promise<WebhookDelivery> {
    const wamid = opts.wamid ?? makeWamid(from);
    lastInbound.set(from, now());
    const hide = opts.hidePhone === true && opts.userId !== undefined;
    const contact: Record<string, unknown> = { profile: { name: opts.name ?? 'Test User' } };
    if (!hide) contact.wa_id = from;
    if (opts.userId) contact.user_id = opts.userId;
    const message: Record<string, unknown> = {
      ...(opts.contextId ? { context: { from: displayPhoneNumber, id: opts.contextId } } : {}),
      ...(hide ? {} : { from }),
      ...(opts.userId ? { user_id: opts.userId } : {}),
      id: wamid,
      timestamp: String(opts.timestamp ?? Math.floor(now() / 1000)),
      type,
      ...typed,
    };
    const status = await postNotification(envelope({ contacts: [contact], messages: [message] }));
    return { wamid, status };
  }

  async function sendStatus(
    wamid: string,
    status: 'sent' | 'delivered' | 'read' | 'failed',
    opts: { recipient?: string; timestamp?: number; errorCode?: number; errorTitle?: string } = {},
  ): Promise<WebhookDelivery> {
    const recipient = opts.recipient ?? sent.find((m) => m.wamid === wamid)?.to ?? '';
    const entry: Record<string, unknown> = {
      id: wamid,
      status,
      timestamp: String(opts.timestamp ?? Math.floor(now() / 1000)),
      recipient_id: recipient,
    };
    if (status === 'failed') {
      const code = opts.errorCode ?? 131026;
      const title = opts.errorTitle ?? 'Message undeliverable';
      entry.errors = [{ code, title, message: title, error_data: { details: title } }];
    } else {
      entry.pricing = { billable: false, pricing_model: 'PMP', category: 'service' };
    }
    const code = await postNotification(envelope({ statuses: [entry] }));
    return { wamid, status: code };
  }

  async function autoStatuses(wamid: string, to: string) {
    for (const status of ['sent', 'delivered', 'read'] as const) {
      if (closed || !webhookUrl) return;
      await sendStatus(wamid, status, { recipient: to });
    }
  }

  return {
    url: `${baseUrl}/${GRAPH_VERSION}`,
    sent,
    rejected,
    now: () => new Date(now()),
    advanceClock(ms) {
      if (!(ms >= 0)) throw new Error('the simulator clock only moves forward');
      clockOffsetMs += ms;
    },
    lastInboundAt(user) {
      const at = lastInbound.get(user);
      return at === undefined ? null : new Date(at);
    },
    onSent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onMarkRead(listener) {
      readListeners.add(listener);
      return () => readListeners.delete(listener);
    },
    failNext(count, error) {
      for (let i = 0; i < count; i++) failures.push(error);
    },
    failAfterAccept(spec) {
      afterAccept.push({ ...spec, left: spec.count ?? 1 });
    },
    failFor(to, error) {
      if (error) failuresFor.set(to, error);
      else failuresFor.delete(to);
    },
    addMedia(bytes, mimeType) {
      const mediaId = String(1_000_000_000_000_000n + BigInt(`0x${randomBytes(6).toString('hex')}`));
      const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes);
      media.set(mediaId, {
        bytes: buffer,
        mimeType,
        sha256: createHash('sha256').update(buffer).digest('hex'),
        expired: false,
      });
      return { mediaId };
    },
    get messageTemplates() {
      return library;
    },
    setTemplateStatus(name, language, status) {
      const template = library.find((t) => t.name === name && t.language === language);
      if (!template) throw new Error(`no template ${name} (${language})`);
      template.status = status;
    },
    expireNextMediaUrls(count = 1) {
      spoiledMediaUrls += count;
    },
    expireMedia(mediaId) {
      const stored = media.get(mediaId);
      if (stored) stored.expired = true;
    },
    setWebhookUrl(url) {
      webhookUrl = url;
    },
    sendText: (from, body, opts) => sendInbound(from, 'text', { text: { body } }, opts),
    sendImage: (from, mediaId, opts) => {
      const stored = media.get(mediaId);
      return sendInbound(
        from,
        'image',
        {
          image: {
            ...(opts?.caption ? { caption: opts.caption } : {}),
            mime_type: stored?.mimeType ?? 'image/jpeg',
            sha256: stored?.sha256 ?? createHash('sha256').update(mediaId).digest('hex'),
            id: mediaId,
          },
        },
        opts,
      );
    },
    sendButtonReply: (from, id, title, opts) =>
      sendInbound(from, 'interactive', { interactive: { type: 'button_reply', button_reply: { id, title } } }, opts),
    sendListReply: (from, id, title, opts) =>
      sendInbound(from, 'interactive', { interactive: { type: 'list_reply', list_reply: { id, title } } }, opts),
    sendStatus,
    postNotification,
    async close() {
      closed = true;
      await Promise.all([...background]);
      await app.close();
    },
  };
}
