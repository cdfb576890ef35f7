import { type BackoffPolicy, backoffDelay } from '@astria/service-kit';
import { type EventType, isEventType } from '../catalog.js';
import type { EventEnvelope } from '../envelope.js';
import {
  type DeliveryInfo,
  errorMessage,
  type OutgoingEvent,
  PermanentDeliveryError,
  type Subscriber,
  type Transport,
  type TransportHealth,
} from '../transport.js';

export interface MemoryTransportOptions {
  retry?: BackoffPolicy;
  /**
   * Deliveries in progress at once per subscription (different keys). Default 256: a delivery waiting on
   * an external call, the send limiter or a user's pair rate holds a slot but no database connection, and
   * the consumer's group commit turns the deliveries that finish together into one transaction, so more
   * slots mean fuller groups, not more connections (at 64, two sends per webhook at 200 webhooks/s queued).
   */
  concurrencyPerSubscription?: number;
}

interface Pending {
  envelope: EventEnvelope;
  deliveryCount: number;
  settle: () => void;
}

/** One subscription's queues: FIFO per (type, key); keyless events each get their own lane. */
class SubscriptionQueue {
  private readonly lanes = new Map<string, Pending[]>();
  private readonly ready: string[] = [];
  private readonly busy = new Set<string>();
  private active = 0;
  private laneCounter = 0;
  private readonly idleWaiters: Array<() => void> = [];
  stopped = false;

  constructor(
    readonly subscriber: Subscriber,
    private readonly retry: BackoffPolicy,
    private readonly concurrency: number,
  ) {}

  private onDelivery(info: DeliveryInfo): void {
    try {
      this.subscriber.onOutcome?.(info);
    } catch {
      // observability must never break delivery
    }
  }

  enqueue(envelope: EventEnvelope, settle: () => void): void {
    const lane = envelope.key === null ? `~${this.laneCounter++}` : `${envelope.type}\u0000${envelope.key}`;
    let queue = this.lanes.get(lane);
    if (!queue) {
      queue = [];
      this.lanes.set(lane, queue);
      if (!this.busy.has(lane)) this.ready.push(lane);
    }
    queue.push({ envelope, deliveryCount: 0, settle });
    this.pump();
  }

  get inFlight(): number {
    return this.active;
  }

  whenIdle(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (!this.stopped && this.active < this.concurrency && this.ready.length > 0) {
      const lane = this.ready.shift() as string;
      const queue = this.lanes.get(lane);
      const head = queue?.[0];
      if (!queue || !head) {
        this.lanes.delete(lane);
        continue;
      }
      this.busy.add(lane);
      this.active++;
      void this.run(lane, queue, head);
    }
  }

  private async run(lane: string, queue: Pending[], item: Pending): Promise<void> {
    let retryIn: number | null = null;
    item.deliveryCount++;
    const started = performance.now();
    const base = {
      subscription: this.subscriber.subscription,
      type: item.envelope.type,
      eventId: item.envelope.id,
      key: item.envelope.key,
      occurredAt: item.envelope.occurredAt,
    };
    try {
      const outcome = await this.subscriber.deliver(item.envelope, item.deliveryCount);
      this.onDelivery({ ...base, outcome, deliveryCount: item.deliveryCount, durationMs: performance.now() - started });
      queue.shift();
      item.settle();
    } catch (error) {
      const permanent = error instanceof PermanentDeliveryError;
      if (permanent || item.deliveryCount >= this.subscriber.maxDeliveryCount) {
        const reason = permanent ? error.reason : 'max_delivery_count_exceeded';
        const stored = await this.storeDeadLetter(item, reason, errorMessage(error));
        if (stored) {
          this.onDelivery({
            ...base,
            outcome: 'dead_lettered',
            deliveryCount: item.deliveryCount,
            durationMs: performance.now() - started,
            error: errorMessage(error),
            reason,
          });
          queue.shift();
          item.settle();
        } else {
          item.deliveryCount--; // the dead letter was not stored: try the whole thing again later
          retryIn = backoffDelay(item.deliveryCount + 1, this.retry);
        }
      } else {
        retryIn = backoffDelay(item.deliveryCount, this.retry);
        this.onDelivery({
          ...base,
          outcome: 'retry',
          deliveryCount: item.deliveryCount,
          durationMs: performance.now() - started,
          error: errorMessage(error),
        });
      }
    }
    this.active--;
    if (retryIn !== null && !this.stopped) {
      // The lane stays busy while it waits: later events of the same key must not overtake this one.
      setTimeout(() => this.release(lane, queue), retryIn).unref();
    } else {
      this.release(lane, queue);
    }
    if (this.active === 0) for (const waiter of this.idleWaiters.splice(0)) waiter();
  }

  private release(lane: string, queue: Pending[]): void {
    this.busy.delete(lane);
    if (queue.length > 0) this.ready.push(lane);
    else this.lanes.delete(lane);
    this.pump();
  }

  private async storeDeadLetter(item: Pending, reason: string, lastError: string): Promise<boolean> {
    try {
      await this.subscriber.storeDeadLetter({
        subscription: this.subscriber.subscription,
        envelope: item.envelope,
        reason,
        lastError,
        deliveryCount: item.deliveryCount,
      });
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * In-process transport for tests, the sandbox and single-process runs. Fan-out to every
 * subscription of the type; per (type, key) order with one delivery at a time; retries with
 * backoff; dead letters through the subscriber's store. A publish resolves only when every
 * subscription has settled the event, so the outbox row stays pending (and is redelivered after
 * a crash) until then.
 */
export class MemoryTransport implements Transport {
  readonly name = 'memory';
  private readonly subscriptions = new Map<EventType, SubscriptionQueue[]>();
  private readonly all: SubscriptionQueue[] = [];
  private readonly retry: BackoffPolicy;
  private readonly concurrency: number;
  private stopped = false;

  constructor(options: MemoryTransportOptions = {}) {
    this.retry = options.retry ?? { baseMs: 1000, maxMs: 60_000 };
    this.concurrency = options.concurrencyPerSubscription ?? 256;
  }

  async start(): Promise<void> {
    this.stopped = false;
    for (const queue of this.all) queue.stopped = false;
  }

  async subscribe(subscriber: Subscriber): Promise<void> {
    const queue = new SubscriptionQueue(subscriber, this.retry, this.concurrency);
    this.all.push(queue);
    for (const type of subscriber.types) {
      const list = this.subscriptions.get(type) ?? [];
      list.push(queue);
      this.subscriptions.set(type, list);
    }
  }

  publish(events: readonly OutgoingEvent[]): Promise<void> {
    if (this.stopped) return Promise.reject(new Error('memory transport is stopped'));
    const settled: Promise<void>[] = [];
    for (const { envelope, targetSubscription } of events) {
      const targets = isEventType(envelope.type) ? (this.subscriptions.get(envelope.type) ?? []) : [];
      for (const queue of targets) {
        if (targetSubscription && queue.subscriber.subscription !== targetSubscription) continue;
        settled.push(new Promise<void>((resolve) => queue.enqueue(envelope, resolve)));
      }
    }
    return Promise.all(settled).then(() => undefined);
  }

  /** Deliveries in progress, across subscriptions. */
  get inFlight(): number {
    return this.all.reduce((n, q) => n + q.inFlight, 0);
  }

  async stop(timeoutMs = 10_000): Promise<void> {
    this.stopped = true;
    for (const queue of this.all) queue.stopped = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(this.all.map((q) => q.whenIdle())),
      new Promise((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
  }

  async health(): Promise<TransportHealth> {
    return this.stopped ? { ok: false, detail: 'stopped' } : { ok: true };
  }
}
