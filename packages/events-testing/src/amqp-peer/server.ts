import type { AddressInfo, Server, Socket } from 'node:net';
import rhea from 'rhea';
import {
  Broker,
  type Consumer,
  type MessageQueue,
  type QueueOptions,
  type StoredMessage,
  type WireMessage,
} from './broker.js';

/*
 * A local AMQP 1.0 peer that speaks the part of Azure Service Bus the @azure/service-bus SDK uses,
 * for tests and benchmarks over a real socket (127.0.0.1, plain AMQP, like the emulator's
 * `UseDevelopmentEmulator=true` endpoint): SASL ANONYMOUS, CBS put-token, sender links on topics
 * (single and batched messages), receiver links on `topic/Subscriptions/name` (and its
 * `$deadletterqueue`) with peek-lock, complete / abandon / dead-letter dispositions, delivery
 * counts, sessions (a named one, or the next available one), scheduled messages, duplicate
 * detection by message id, and the management requests (renew lock, renew session lock,
 * schedule, peek, update disposition).
 */

const SESSION_FILTER = 'com.microsoft:session-filter';
const BATCH_FORMAT = 0x80013700;
const TICKS_AT_EPOCH = 621355968000000000n;

/** Loose views of rhea's objects (its typings do not cover the server side we use). */
interface RheaDelivery {
  tag: Buffer;
  format?: number;
  remote_state?: {
    constructor?: { composite_type?: string };
    error?: { condition?: string; info?: Record<string, unknown> };
    undeliverable_here?: boolean;
  };
  update(settled: boolean, state?: unknown): void;
  accept(): void;
  reject(error?: unknown): void;
}
interface RheaLink {
  name: string;
  remote: {
    attach: {
      source?: { address?: string; filter?: Record<string, unknown> };
      target?: { address?: string };
      properties?: Record<string, unknown>;
    };
  };
  local: { attach: Record<string, unknown> };
  state: { local_open: boolean; open_requests: number };
  connection: RheaConnection;
  credit: number;
  set_source(fields: unknown): void;
  set_drained(drained: boolean): void;
  open(): void;
  close(error?: unknown): void;
  send(message: unknown, tag?: Buffer, format?: number): RheaDelivery;
  sendable(): boolean;
  is_closed(): boolean;
  is_sender(): boolean;
}
interface RheaConnection {
  socket?: Socket;
  peer_links?: Set<RheaLink>;
}
interface RheaContext {
  connection: RheaConnection;
  sender?: RheaLink;
  receiver?: RheaLink;
  delivery?: RheaDelivery;
  message?: WireMessage;
}
interface RheaContainer {
  sasl_server_mechanisms: { enable_anonymous(): void };
  on(event: string, handler: (context: RheaContext) => void): void;
  listen(options: { port: number; host: string }): Server;
}
interface RheaModule {
  create_container(options?: object): RheaContainer;
  message: { decode(buffer: Buffer): WireMessage; encode(message: unknown): Buffer };
  types: {
    wrap_long(value: number | Buffer): unknown;
    wrap_map(value: object): unknown;
    wrap_array(values: unknown[], code: number, descriptor?: unknown): unknown;
  };
}
const amqp = rhea as unknown as RheaModule;
/** The outcome the peer settles a client's disposition with (the SDK treats an error in it as a failure). */
const ACCEPTED = (rhea as unknown as { message: { accepted(): { described(): unknown } } }).message
  .accepted()
  .described();

export interface AmqpTestPeerOptions {
  /** Lock duration of subscriptions declared without one. */
  lockDurationMs?: number;
  /** How long an "accept next session" attach waits for a session before the timeout error. */
  sessionWaitMs?: number;
  duplicateDetectionWindowMs?: number;
}

export interface PeerSubscriptionOptions {
  requiresSession?: boolean;
  maxDeliveryCount?: number;
  lockDurationMs?: number;
}

interface PendingSessionLink {
  link: RheaLink;
  queue: MessageQueue;
  timer: NodeJS.Timeout;
}

class LinkConsumer implements Consumer {
  private static counter = 0;
  readonly id = ++LinkConsumer.counter;
  sessionId: string | null = null;
  constructor(
    readonly link: RheaLink,
    readonly queue: MessageQueue,
  ) {}
  credit(): number {
    return this.link.is_closed() ? 0 : this.link.sendable() ? this.link.credit : 0;
  }
  send(m: StoredMessage): void {
    const lock = m.lock as NonNullable<StoredMessage['lock']>;
    const message = {
      ...m.message,
      delivery_count: m.deliveryCount,
      message_annotations: {
        ...(m.message.message_annotations ?? {}),
        'x-opt-sequence-number': amqp.types.wrap_long(m.seq),
        'x-opt-enqueued-time': m.enqueuedAt,
        'x-opt-locked-until': new Date(lock.lockedUntil),
      },
    };
    this.link.send(message, lock.token);
  }
}

function ticks(date: Date): Buffer {
  const buffer = Buffer.alloc(8);
  buffer.writeBigInt64BE(BigInt(date.getTime()) * 10000n + TICKS_AT_EPOCH);
  return buffer;
}

/** The .NET GUID byte order the SDK applies to delivery tags, and back (the swap is its own inverse). */
function reorder(token: Buffer): Buffer {
  const b = Buffer.from(token);
  return Buffer.from([b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], ...b.subarray(8)] as number[]);
}

function address(path: string | undefined): string {
  if (!path) return '';
  const withoutHost = path.replace(/^amqps?:\/\/[^/]+/i, '').replace(/^sb:\/\/[^/]+/i, '');
  return withoutHost.replace(/^\//, '');
}

export class AmqpTestPeer {
  readonly broker = new Broker();
  private readonly sockets = new Set<Socket>();
  private readonly consumers = new Map<RheaLink, LinkConsumer>();
  private readonly pendingSessions: PendingSessionLink[] = [];
  private readonly responders = new Set<RheaLink>();
  private readonly sweepTimer: NodeJS.Timeout;
  private server: Server | undefined;
  readonly stats = { connections: 0, putTokens: 0, managementRequests: 0 };

  private constructor(private readonly options: Required<AmqpTestPeerOptions>) {
    this.broker.onWake = () => this.pumpAll();
    this.sweepTimer = setInterval(() => {
      const now = Date.now();
      for (const queue of this.broker.queues()) queue.sweep(now);
      this.pumpAll();
    }, 50);
    this.sweepTimer.unref();
  }

  static async start(options: AmqpTestPeerOptions = {}): Promise<AmqpTestPeer> {
    const peer = new AmqpTestPeer({
      lockDurationMs: options.lockDurationMs ?? 30_000,
      sessionWaitMs: options.sessionWaitMs ?? 5_000,
      duplicateDetectionWindowMs: options.duplicateDetectionWindowMs ?? 10 * 60_000,
    });
    await peer.listen();
    return peer;
  }

  get port(): number {
    const bound = this.server?.address() as AddressInfo | null | undefined;
    if (!bound) throw new Error('the AMQP test peer is not listening');
    return bound.port;
  }

  /** A connection string the SDK accepts for this peer (plain AMQP, as for the emulator). */
  get connectionString(): string {
    return `Endpoint=sb://127.0.0.1:${this.port};SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=peer-key;UseDevelopmentEmulator=true`;
  }

  declareTopic(name: string): void {
    this.broker.topic(name, { duplicateDetectionWindowMs: this.options.duplicateDetectionWindowMs });
  }

  declareSubscription(topic: string, name: string, options: PeerSubscriptionOptions = {}): void {
    this.declareTopic(topic);
    const queueOptions: QueueOptions = {
      requiresSession: options.requiresSession ?? false,
      maxDeliveryCount: options.maxDeliveryCount ?? 10,
      lockDurationMs: options.lockDurationMs ?? this.options.lockDurationMs,
    };
    this.broker.topic(topic).subscription(name, queueOptions);
  }

  /** Messages waiting in a queue (`topic/Subscriptions/name`, or its `/$deadletterqueue`). */
  depth(path: string): number {
    return this.broker.queue(path)?.messages.length ?? 0;
  }

  /** Cuts every client connection at the socket (a network fault): clients must reconnect. */
  dropConnections(): number {
    const count = this.sockets.size;
    // With an error: rhea watches the socket's 'error' and 'end', not a local destroy's 'close'.
    for (const socket of this.sockets) socket.destroy(new Error('connection dropped by the AMQP test peer'));
    return count;
  }

  async close(): Promise<void> {
    clearInterval(this.sweepTimer);
    this.broker.close();
    for (const pending of this.pendingSessions.splice(0)) clearTimeout(pending.timer);
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async listen(): Promise<void> {
    const container = amqp.create_container({ id: 'astria-amqp-peer' });
    container.sasl_server_mechanisms.enable_anonymous();
    container.on('connection_open', () => this.stats.connections++);
    container.on('sender_open', (context) => this.onSenderOpen(context.sender as RheaLink));
    container.on('receiver_open', (context) => this.onReceiverOpen(context.receiver as RheaLink));
    container.on('sendable', (context) => this.consumers.get(context.sender as RheaLink)?.queue.pump());
    // A drain (the SDK's receiveMessages ends with one): send what is ready, then give the rest of the credit back.
    container.on('sender_draining', (context) => {
      const link = context.sender as RheaLink;
      this.consumers.get(link)?.queue.pump();
      if (link.credit > 0) link.set_drained(true);
    });
    container.on('message', (context) => this.onMessage(context));
    container.on('accepted', (context) => this.onOutcome(context, 'accepted'));
    container.on('rejected', (context) => this.onOutcome(context, 'rejected'));
    container.on('released', (context) => this.onOutcome(context, 'released'));
    container.on('modified', (context) => this.onOutcome(context, 'released'));
    const linkGone = (context: RheaContext) => this.onLinkClosed((context.sender ?? context.receiver) as RheaLink);
    container.on('sender_close', linkGone);
    container.on('receiver_close', linkGone);
    container.on('sender_error', linkGone);
    container.on('receiver_error', linkGone);
    container.on('disconnected', (context) => this.onDisconnected(context.connection));
    container.on('connection_error', () => {});
    container.on('error', () => {});
    this.server = container.listen({ port: 0, host: '127.0.0.1' });
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve, reject) => {
      this.server?.once('listening', () => resolve());
      this.server?.once('error', reject);
    });
  }

  private pumpAll(): void {
    for (const queue of this.broker.queues()) {
      queue.pump();
      if (queue.options.requiresSession) this.assignSessions(queue);
    }
  }

  private track(link: RheaLink): void {
    const connection = link.connection;
    connection.peer_links ??= new Set();
    connection.peer_links.add(link);
  }

  private onSenderOpen(link: RheaLink): void {
    this.track(link);
    const path = address(link.remote.attach.source?.address);
    if (path === '$cbs' || path.endsWith('$management')) {
      this.responders.add(link);
      return;
    }
    const queue = this.broker.queue(path);
    if (!queue) {
      link.close({ condition: 'amqp:not-found', description: `The messaging entity '${path}' could not be found.` });
      return;
    }
    const consumer = new LinkConsumer(link, queue);
    const filter = link.remote.attach.source?.filter;
    const requested = filter?.[SESSION_FILTER];
    if (!queue.options.requiresSession) {
      this.consumers.set(link, consumer);
      queue.consumers.add(consumer);
      return;
    }
    if (typeof requested === 'string') {
      if (queue.sessionHolders.has(requested)) {
        link.close({
          condition: 'com.microsoft:session-cannot-be-locked',
          description: `Session ${requested} is locked.`,
        });
        return;
      }
      this.lockSession(link, consumer, requested);
      return;
    }
    // The next available session: answer the attach when one is free, or time out.
    link.state.local_open = false;
    link.state.open_requests = 0;
    const requestedTimeout = Number(link.remote.attach.properties?.['com.microsoft:timeout'] ?? Number.NaN);
    const wait = Number.isFinite(requestedTimeout)
      ? Math.min(requestedTimeout, this.options.sessionWaitMs)
      : this.options.sessionWaitMs;
    const pending: PendingSessionLink = {
      link,
      queue,
      timer: setTimeout(() => {
        const i = this.pendingSessions.indexOf(pending);
        if (i < 0) return;
        this.pendingSessions.splice(i, 1);
        link.set_source({ address: path });
        link.open();
        link.close({ condition: 'com.microsoft:timeout', description: 'No sessions available within the timeout.' });
      }, wait),
    };
    pending.timer.unref();
    this.pendingSessions.push(pending);
    this.assignSessions(queue);
  }

  private lockSession(link: RheaLink, consumer: LinkConsumer, sessionId: string): void {
    const queue = consumer.queue;
    consumer.sessionId = sessionId;
    queue.sessionHolders.set(sessionId, consumer);
    link.set_source({ address: queue.path, filter: { [SESSION_FILTER]: sessionId } });
    link.local.attach.properties = {
      'com.microsoft:locked-until-utc': amqp.types.wrap_long(
        ticks(new Date(Date.now() + queue.options.lockDurationMs)),
      ),
    };
    link.open();
    this.consumers.set(link, consumer);
    queue.consumers.add(consumer);
  }

  private assignSessions(queue: MessageQueue): void {
    const waiting = this.pendingSessions.filter((p) => p.queue === queue && !p.link.is_closed());
    if (waiting.length === 0) return;
    for (const sessionId of queue.freeSessions()) {
      const pending = waiting.shift();
      if (!pending) break;
      this.pendingSessions.splice(this.pendingSessions.indexOf(pending), 1);
      clearTimeout(pending.timer);
      this.lockSession(pending.link, new LinkConsumer(pending.link, queue), sessionId);
    }
  }

  private onReceiverOpen(link: RheaLink): void {
    this.track(link);
    link.local.attach.max_message_size = 256 * 1024;
    const path = address(link.remote.attach.target?.address);
    if (path === '$cbs' || path.endsWith('$management')) return;
    if (!this.broker.topics.has(path)) {
      link.close({ condition: 'amqp:not-found', description: `The messaging entity '${path}' could not be found.` });
    }
  }

  private onMessage(context: RheaContext): void {
    const link = context.receiver as RheaLink;
    const message = context.message as WireMessage;
    const path = address(link.remote.attach.target?.address);
    if (path === '$cbs') {
      this.stats.putTokens++;
      this.respond(link, message, 202, 'Accepted', undefined);
      return;
    }
    if (path.endsWith('$management')) {
      this.stats.managementRequests++;
      this.manage(link, path.replace(/\/?\$management$/, ''), message);
      return;
    }
    const topic = this.broker.topics.get(path);
    if (!topic) {
      context.delivery?.reject({ condition: 'amqp:not-found', description: path });
      return;
    }
    const delivery = context.delivery as RheaDelivery;
    // rhea hands over a non-standard message format (the SDK's batch) as the raw bytes.
    const messages =
      delivery.format === BATCH_FORMAT
        ? this.unbatch(Buffer.isBuffer(message) ? amqp.message.decode(message) : message)
        : [message];
    for (const m of messages) topic.accept(m, this.scheduledAt(m));
    this.pumpTopic(path);
  }

  private unbatch(batch: WireMessage): WireMessage[] {
    const body = batch.body as { content?: Buffer | Buffer[]; multiple?: boolean } | undefined;
    const sections = body?.multiple ? (body.content as Buffer[]) : body?.content ? [body.content as Buffer] : [];
    return sections.map((buffer) => amqp.message.decode(buffer));
  }

  private scheduledAt(message: WireMessage): number {
    const at = message.message_annotations?.['x-opt-scheduled-enqueue-time'];
    if (at instanceof Date) return at.getTime();
    if (typeof at === 'number') return at;
    return 0;
  }

  private pumpTopic(name: string): void {
    const topic = this.broker.topics.get(name);
    if (!topic) return;
    for (const queue of topic.subscriptions.values()) {
      queue.pump();
      if (queue.options.requiresSession) this.assignSessions(queue);
    }
  }

  private respond(
    requestLink: RheaLink,
    request: WireMessage,
    status: number,
    description: string,
    body: unknown,
  ): void {
    const replyTo = request.reply_to as string | undefined;
    const requestPath = address(requestLink.remote.attach.target?.address);
    let target: RheaLink | undefined;
    for (const link of this.responders) {
      if (link.is_closed() || link.connection !== requestLink.connection) continue;
      if (link.name === replyTo || address(link.remote.attach.target?.address) === replyTo) {
        target = link;
        break;
      }
      if (!target && address(link.remote.attach.source?.address) === requestPath) target = link;
    }
    target?.send({
      to: replyTo,
      correlation_id: request.message_id,
      application_properties: {
        'status-code': status,
        'status-description': description,
        statusCode: status,
        statusDescription: description,
      },
      body,
    });
  }

  private manage(link: RheaLink, entity: string, request: WireMessage): void {
    const operation = request.application_properties?.operation;
    const body = (request.body ?? {}) as Record<string, unknown>;
    try {
      switch (operation) {
        case 'com.microsoft:renew-lock': {
          const queue = this.requireQueue(entity);
          const expirations = (body['lock-tokens'] as Buffer[]).map((token) => {
            const m = queue.find(token) ?? queue.find(reorder(token));
            if (!m) throw Object.assign(new Error('The lock supplied is invalid.'), { status: 410 });
            return queue.renew(m);
          });
          this.respond(link, request, 200, 'OK', { expirations });
          return;
        }
        case 'com.microsoft:renew-session-lock': {
          const queue = this.requireQueue(entity);
          const holder = queue.sessionHolders.get(String(body['session-id']));
          if (!holder) throw Object.assign(new Error('The session lock was lost.'), { status: 410 });
          // In a session the message locks are the session's lock: renewing it renews them.
          const expiration = new Date(Date.now() + queue.options.lockDurationMs);
          for (const m of queue.messages) if (m.lock?.holder === holder) m.lock.lockedUntil = expiration.getTime();
          this.respond(link, request, 200, 'OK', { expiration });
          return;
        }
        case 'com.microsoft:update-disposition': {
          const queue = this.requireQueue(entity);
          const status = body['disposition-status'];
          for (const token of body['lock-tokens'] as Buffer[]) {
            const m = queue.find(token) ?? queue.find(reorder(token));
            if (!m) throw Object.assign(new Error('The lock supplied is invalid.'), { status: 410 });
            if (status === 'completed') queue.complete(m);
            else if (status === 'abandoned') queue.abandon(m);
            else if (status === 'suspended') {
              queue.deadLetter(
                m,
                body['deadletter-reason'] as string | undefined,
                body['deadletter-description'] as string | undefined,
              );
            } else throw Object.assign(new Error(`Unsupported disposition ${String(status)}`), { status: 400 });
          }
          this.respond(link, request, 200, 'OK', {});
          this.pumpAll();
          return;
        }
        case 'com.microsoft:schedule-message': {
          const topic = this.broker.topics.get(entity);
          if (!topic) throw Object.assign(new Error(`No entity ${entity}`), { status: 404 });
          const numbers: number[] = [];
          for (const entry of body.messages as Array<{ message: Buffer }>) {
            const message = amqp.message.decode(entry.message);
            topic.accept(message, this.scheduledAt(message));
            numbers.push(this.broker.nextSequence());
          }
          this.respond(link, request, 200, 'OK', { 'sequence-numbers': numbers });
          return;
        }
        case 'com.microsoft:peek-message': {
          const queue = this.requireQueue(entity);
          const from = Number(body['from-sequence-number'] ?? 0);
          const count = Number(body['message-count'] ?? 1);
          const sessionId = body['session-id'];
          const found = queue.messages
            .filter((m) => m.seq >= from && (typeof sessionId !== 'string' || m.sessionId === sessionId))
            .slice(0, count);
          if (found.length === 0) {
            this.respond(link, request, 204, 'No Content', {});
            return;
          }
          const messages = found.map((m) => ({
            message: amqp.message.encode({
              ...m.message,
              delivery_count: m.deliveryCount,
              message_annotations: {
                ...(m.message.message_annotations ?? {}),
                'x-opt-sequence-number': amqp.types.wrap_long(m.seq),
                'x-opt-enqueued-time': m.enqueuedAt,
              },
            }),
          }));
          this.respond(link, request, 200, 'OK', { messages });
          return;
        }
        default:
          throw Object.assign(new Error(`Unsupported operation ${String(operation)}`), { status: 501 });
      }
    } catch (error) {
      const status = (error as { status?: number }).status ?? 500;
      this.respond(link, request, status, (error as Error).message, undefined);
    }
  }

  private requireQueue(entity: string): MessageQueue {
    const queue = this.broker.queue(entity);
    if (!queue) throw Object.assign(new Error(`The messaging entity '${entity}' could not be found.`), { status: 404 });
    return queue;
  }

  private onOutcome(context: RheaContext, kind: 'accepted' | 'rejected' | 'released'): void {
    const link = context.sender as RheaLink;
    const delivery = context.delivery as RheaDelivery;
    const consumer = this.consumers.get(link);
    if (!consumer) return;
    const queue = consumer.queue;
    const m = queue.find(delivery.tag);
    if (m && m.lock?.holder === consumer) {
      if (kind === 'accepted') queue.complete(m);
      else if (kind === 'rejected') {
        const info = delivery.remote_state?.error?.info ?? {};
        const { DeadLetterReason, DeadLetterErrorDescription, ...extra } = info;
        queue.deadLetter(
          m,
          DeadLetterReason as string | undefined,
          DeadLetterErrorDescription as string | undefined,
          extra,
        );
      } else {
        const composite = delivery.remote_state?.constructor?.composite_type;
        queue.abandon(m, composite === 'modified' || composite === undefined);
      }
    }
    delivery.update(true, ACCEPTED);
    queue.pump();
    if (queue.options.requiresSession) this.assignSessions(queue);
  }

  private onLinkClosed(link: RheaLink): void {
    this.responders.delete(link);
    const pending = this.pendingSessions.findIndex((p) => p.link === link);
    if (pending >= 0) {
      clearTimeout(this.pendingSessions[pending]?.timer);
      this.pendingSessions.splice(pending, 1);
    }
    const consumer = this.consumers.get(link);
    if (!consumer) return;
    this.consumers.delete(link);
    consumer.queue.detach(consumer);
    consumer.queue.pump();
    if (consumer.queue.options.requiresSession) this.assignSessions(consumer.queue);
  }

  private onDisconnected(connection: RheaConnection): void {
    for (const link of connection.peer_links ?? []) this.onLinkClosed(link);
    connection.peer_links?.clear();
  }
}
