import type {
  DeliveryInfo,
  EventEnvelope,
  OutgoingEvent,
  Subscriber,
  Transport,
  TransportHealth,
} from '@astria/events';

/** One line of the live event timeline: an event published, or one subscription's delivery outcome. */
export interface TimelineEntry {
  seq: number;
  at: string;
  kind: 'published' | 'delivered';
  eventId: string;
  type: string;
  /** The producing service (the envelope's source). */
  producer: string;
  /** The consuming subscription (deliveries only). */
  consumer?: string;
  key: string | null;
  outcome?: DeliveryInfo['outcome'];
  /** Deliveries so far (1 = first try). */
  deliveryCount?: number;
  /** From the event's occurrence (outbox commit) to this outcome. */
  latencyMs?: number;
  /** The handler's own time. */
  handlerMs?: number;
  error?: string;
  reason?: string;
}

export type TimelineListener = (entry: TimelineEntry) => void;

/** A bounded, in-memory record of what crossed the transport, with live listeners (the page's SSE). */
export class EventTimeline {
  private readonly entries: TimelineEntry[] = [];
  private readonly listeners = new Set<TimelineListener>();
  private readonly published = new Map<string, { producer: string; occurredAt: number; envelope: EventEnvelope }>();
  private readonly handledListeners = new Set<(envelope: EventEnvelope, subscription: string) => void>();
  private seq = 0;
  deadLetters = 0;
  retries = 0;

  constructor(
    private readonly capacity = 500,
    private readonly now: () => number = Date.now,
  ) {}

  recent(limit = this.capacity): TimelineEntry[] {
    return this.entries.slice(-Math.min(limit, this.capacity));
  }

  subscribe(listener: TimelineListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Told when a subscription has handled an event, with the event itself (e.g. a WhatsApp send done). */
  onHandled(listener: (envelope: EventEnvelope, subscription: string) => void): () => void {
    this.handledListeners.add(listener);
    return () => this.handledListeners.delete(listener);
  }

  recordPublished(event: OutgoingEvent): void {
    const { envelope } = event;
    const occurredAt = Date.parse(envelope.occurredAt);
    this.published.set(envelope.id, { producer: envelope.source, occurredAt, envelope });
    if (this.published.size > this.capacity * 4) {
      const oldest = this.published.keys().next().value;
      if (oldest !== undefined) this.published.delete(oldest);
    }
    this.push({
      kind: 'published',
      eventId: envelope.id,
      type: envelope.type,
      producer: envelope.source,
      key: envelope.key,
      latencyMs: Number.isFinite(occurredAt) ? Math.max(0, this.now() - occurredAt) : undefined,
    });
  }

  recordDelivery(info: DeliveryInfo, subscriberService: string): void {
    const origin = this.published.get(info.eventId);
    if (info.outcome === 'retry') this.retries++;
    if (info.outcome === 'dead_lettered') this.deadLetters++;
    this.push({
      kind: 'delivered',
      eventId: info.eventId,
      type: info.type,
      producer: origin?.producer ?? 'unknown',
      consumer: info.subscription || subscriberService,
      key: info.key,
      outcome: info.outcome,
      deliveryCount: info.deliveryCount,
      latencyMs: origin ? Math.max(0, this.now() - origin.occurredAt) : undefined,
      handlerMs: Math.round(info.durationMs * 10) / 10,
      error: info.error,
      reason: info.reason,
    });
    if (info.outcome === 'handled' && origin) {
      for (const listener of this.handledListeners) {
        try {
          listener(origin.envelope, info.subscription);
        } catch {
          // observers never break delivery
        }
      }
    }
  }

  private push(entry: Omit<TimelineEntry, 'seq' | 'at'>): void {
    // Built without its undefined fields (no `delete`: an object that loses keys turns slow to use).
    const full: Record<string, unknown> = { seq: ++this.seq, at: new Date(this.now()).toISOString() };
    for (const key in entry) {
      const value = entry[key as keyof typeof entry];
      if (value !== undefined) full[key] = value;
    }
    this.entries.push(full as unknown as TimelineEntry);
    // Trimmed in halves, not by one entry per push (a shift of the whole array each time).
    if (this.entries.length >= this.capacity * 2) this.entries.splice(0, this.entries.length - this.capacity);
    for (const listener of this.listeners) {
      try {
        listener(full as unknown as TimelineEntry);
      } catch {
        // a broken listener (a closed SSE stream) must never break delivery
      }
    }
  }
}

/**
 * Wraps the shared transport so the timeline sees every publish and every delivery outcome,
 * without the services knowing: they get a Transport like any other.
 */
export class ObservedTransport implements Transport {
  constructor(
    private readonly inner: Transport,
    readonly timeline: EventTimeline,
  ) {}

  get name(): string {
    return this.inner.name;
  }

  publish(events: readonly OutgoingEvent[]): Promise<void> {
    for (const event of events) this.timeline.recordPublished(event);
    return this.inner.publish(events);
  }

  subscribe(subscriber: Subscriber): Promise<void> {
    const original = subscriber.onOutcome;
    return this.inner.subscribe({
      ...subscriber,
      onOutcome: (info) => {
        this.timeline.recordDelivery(info, subscriber.service);
        original?.(info);
      },
    });
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  stop(timeoutMs?: number): Promise<void> {
    return this.inner.stop(timeoutMs);
  }

  health(): Promise<TransportHealth> {
    return this.inner.health();
  }
}
