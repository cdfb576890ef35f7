import { randomBytes } from 'node:crypto';

/**
 * The in-memory broker behind the AMQP test peer: topics with duplicate detection, subscriptions
 * (optionally session-enabled) with peek-lock, delivery counts, dead-letter sub-queues, scheduled
 * messages (every subscription takes every message: no rules). Pure state: the peer
 * (server.ts) maps AMQP links onto it.
 */

/** A message as rhea decodes it (kept as-is and re-sent with broker annotations). */
export interface WireMessage {
  message_id?: unknown;
  group_id?: string;
  subject?: string;
  content_type?: string;
  correlation_id?: unknown;
  application_properties?: Record<string, unknown>;
  message_annotations?: Record<string, unknown>;
  body?: unknown;
  [field: string]: unknown;
}

export interface StoredMessage {
  seq: number;
  message: WireMessage;
  sessionId: string | null;
  /** Prior delivery attempts (the AMQP header's delivery-count). */
  deliveryCount: number;
  enqueuedAt: Date;
  availableAt: number;
  lock: MessageLock | null;
}

export interface MessageLock {
  token: Buffer;
  holder: Consumer;
  lockedUntil: number;
}

/** A peer sender link taking messages from a queue. */
export interface Consumer {
  readonly id: number;
  /** The session this consumer holds (session-enabled queues only). */
  sessionId: string | null;
  credit(): number;
  send(message: StoredMessage): void;
}

export interface QueueOptions {
  requiresSession: boolean;
  maxDeliveryCount: number;
  lockDurationMs: number;
}

export class MessageQueue {
  readonly messages: StoredMessage[] = [];
  readonly consumers = new Set<Consumer>();
  readonly sessionHolders = new Map<string, Consumer>();
  readonly locks = new Map<string, StoredMessage>();
  readonly deadLetters: MessageQueue | null;

  constructor(
    readonly path: string,
    readonly options: QueueOptions,
    private readonly broker: Broker,
    isDeadLetterQueue = false,
  ) {
    this.deadLetters = isDeadLetterQueue
      ? null
      : new MessageQueue(
          `${path}/$deadletterqueue`,
          { requiresSession: false, maxDeliveryCount: Number.MAX_SAFE_INTEGER, lockDurationMs: options.lockDurationMs },
          broker,
          true,
        );
  }

  enqueue(message: WireMessage, sessionId: string | null, availableAt = 0, deliveryCount = 0): StoredMessage {
    const stored: StoredMessage = {
      seq: this.broker.nextSequence(),
      message,
      sessionId,
      deliveryCount,
      enqueuedAt: new Date(),
      availableAt,
      lock: null,
    };
    this.messages.push(stored);
    if (availableAt > Date.now()) this.broker.scheduleWake(availableAt);
    return stored;
  }

  private available(m: StoredMessage, now: number): boolean {
    return m.lock === null && m.availableAt <= now;
  }

  /** The session ids with a message ready and no holder. */
  freeSessions(now = Date.now()): string[] {
    const out: string[] = [];
    for (const m of this.messages) {
      if (m.sessionId === null || !this.available(m, now)) continue;
      if (this.sessionHolders.has(m.sessionId) || out.includes(m.sessionId)) continue;
      out.push(m.sessionId);
    }
    return out;
  }

  /** Hands messages to consumers with credit, in sequence order (per session for session queues). */
  pump(): void {
    const now = Date.now();
    for (const consumer of this.consumers) {
      while (consumer.credit() > 0) {
        const next = this.messages.find(
          (m) =>
            this.available(m, now) &&
            (!this.options.requiresSession || (consumer.sessionId !== null && m.sessionId === consumer.sessionId)),
        );
        if (!next) break;
        const token = randomBytes(16);
        next.lock = { token, holder: consumer, lockedUntil: now + this.options.lockDurationMs };
        this.locks.set(token.toString('hex'), next);
        consumer.send(next);
      }
    }
  }

  find(token: Buffer): StoredMessage | undefined {
    return this.locks.get(token.toString('hex'));
  }

  private unlock(m: StoredMessage): void {
    if (m.lock) this.locks.delete(m.lock.token.toString('hex'));
    m.lock = null;
  }

  private remove(m: StoredMessage): void {
    this.unlock(m);
    const i = this.messages.indexOf(m);
    if (i >= 0) this.messages.splice(i, 1);
  }

  complete(m: StoredMessage): void {
    this.remove(m);
  }

  /** Abandon: the lock is released and the attempt counted; past the max it is dead-lettered. */
  abandon(m: StoredMessage, countAttempt = true): void {
    this.unlock(m);
    if (countAttempt) m.deliveryCount++;
    if (this.deadLetters && m.deliveryCount >= this.options.maxDeliveryCount) {
      this.deadLetter(
        m,
        'MaxDeliveryCountExceeded',
        `Message could not be consumed after ${m.deliveryCount} delivery attempts.`,
      );
    }
  }

  deadLetter(m: StoredMessage, reason: string | undefined, description: string | undefined, extra = {}): void {
    this.remove(m);
    if (!this.deadLetters) return;
    const message: WireMessage = {
      ...m.message,
      application_properties: {
        ...(m.message.application_properties ?? {}),
        ...extra,
        ...(reason !== undefined ? { DeadLetterReason: reason } : {}),
        ...(description !== undefined ? { DeadLetterErrorDescription: description } : {}),
      },
      message_annotations: { ...(m.message.message_annotations ?? {}), 'x-opt-deadletter-source': this.path },
    };
    this.deadLetters.enqueue(message, m.sessionId, 0, m.deliveryCount);
    this.deadLetters.pump();
  }

  renew(m: StoredMessage): Date {
    if (!m.lock) throw new Error('lock lost');
    m.lock.lockedUntil = Date.now() + this.options.lockDurationMs;
    return new Date(m.lock.lockedUntil);
  }

  /** A consumer went away: its locks are lost (counted as an attempt, as a lock expiry would be). */
  detach(consumer: Consumer): void {
    this.consumers.delete(consumer);
    if (consumer.sessionId !== null && this.sessionHolders.get(consumer.sessionId) === consumer) {
      this.sessionHolders.delete(consumer.sessionId);
    }
    for (const m of [...this.messages]) if (m.lock?.holder === consumer) this.abandon(m);
  }

  /** Releases expired locks. */
  sweep(now: number): void {
    for (const m of [...this.messages]) if (m.lock && m.lock.lockedUntil < now) this.abandon(m);
  }
}

export interface TopicOptions {
  duplicateDetectionWindowMs: number;
}

export class Topic {
  readonly subscriptions = new Map<string, MessageQueue>();
  private readonly seen = new Map<string, number>();

  constructor(
    readonly name: string,
    readonly options: TopicOptions,
    private readonly broker: Broker,
  ) {}

  subscription(name: string, options: QueueOptions): MessageQueue {
    let queue = this.subscriptions.get(name);
    if (!queue) {
      queue = new MessageQueue(`${this.name}/Subscriptions/${name}`, options, this.broker);
      this.subscriptions.set(name, queue);
    }
    return queue;
  }

  /** Accepts one message: false when its messageId was seen within the duplicate detection window. */
  accept(message: WireMessage, availableAt = 0): boolean {
    const now = Date.now();
    const id = message.message_id === undefined || message.message_id === null ? null : String(message.message_id);
    if (id !== null && this.options.duplicateDetectionWindowMs > 0) {
      const seenAt = this.seen.get(id);
      if (seenAt !== undefined && now - seenAt < this.options.duplicateDetectionWindowMs) {
        this.broker.stats.duplicatesDropped++;
        return false;
      }
      this.seen.set(id, now);
    }
    this.broker.stats.accepted++;
    for (const queue of this.subscriptions.values()) {
      const sessionId = typeof message.group_id === 'string' ? message.group_id : null;
      queue.enqueue(message, sessionId, availableAt);
    }
    return true;
  }
}

export class Broker {
  readonly topics = new Map<string, Topic>();
  readonly stats = { accepted: 0, duplicatesDropped: 0 };
  private sequence = 0;
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeAt = Number.POSITIVE_INFINITY;
  onWake: () => void = () => {};

  nextSequence(): number {
    this.sequence++;
    return this.sequence;
  }

  topic(name: string, options: TopicOptions = { duplicateDetectionWindowMs: 10 * 60_000 }): Topic {
    let topic = this.topics.get(name);
    if (!topic) {
      topic = new Topic(name, options, this);
      this.topics.set(name, topic);
    }
    return topic;
  }

  /** The queue at an entity path: `topic/Subscriptions/name` or its `/$deadletterqueue`. */
  queue(path: string): MessageQueue | undefined {
    const match = /^\/?([^/]+)\/Subscriptions\/([^/]+)(\/\$deadletterqueue)?$/i.exec(path);
    if (!match) return undefined;
    const queue = this.topics.get(match[1] as string)?.subscriptions.get(match[2] as string);
    return match[3] ? (queue?.deadLetters ?? undefined) : queue;
  }

  *queues(): Iterable<MessageQueue> {
    for (const topic of this.topics.values()) {
      for (const queue of topic.subscriptions.values()) {
        yield queue;
        if (queue.deadLetters) yield queue.deadLetters;
      }
    }
  }

  scheduleWake(at: number): void {
    if (at >= this.wakeAt) return;
    clearTimeout(this.wakeTimer);
    this.wakeAt = at;
    this.wakeTimer = setTimeout(
      () => {
        this.wakeAt = Number.POSITIVE_INFINITY;
        this.onWake();
      },
      Math.max(0, at - Date.now()),
    );
    this.wakeTimer.unref();
  }

  close(): void {
    clearTimeout(this.wakeTimer);
  }
}
