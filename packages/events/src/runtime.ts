import type { Database } from '@astria/db';
import type { Logger } from '@astria/service-kit';
import type { Registry } from 'prom-client';
import type { ServiceName } from './catalog.js';
import { createSubscriber, type EventHandlers, type EventRelevance } from './consumer.js';
import { type EventMetrics, registerEventMetrics } from './metrics.js';
import { createOutbox, type Outbox } from './outbox.js';
import { OutboxRelay } from './relay.js';
import type { DeliveryInfo, Transport, TransportHealth } from './transport.js';

export interface EventRuntimeOptions {
  database: Database;
  service: ServiceName;
  transport: Transport;
  registry?: Registry;
  logger?: Logger;
  maxDeliveryCount?: number;
  relay?: { batchSize?: number; safetyPollMs?: number; leaseMs?: number; maxInFlight?: number };
}

/**
 * A service's events: its outbox, the relay that publishes it, and its idempotent consumers.
 * The transport's own lifecycle belongs to whoever created it (one memory transport may serve
 * several services in the sandbox).
 */
export interface EventRuntime {
  readonly outbox: Outbox;
  readonly relay: OutboxRelay;
  /** Registers handlers for the catalog events this service subscribes to. Call before start(). */
  consume(handlers: EventHandlers, options?: { subscription?: string; relevant?: EventRelevance }): void;
  start(): Promise<void>;
  /** Stops publishing; call the transport's stop() next, then close(). */
  stop(): Promise<void>;
  close(): Promise<void>;
  health(): Promise<TransportHealth>;
}

export function createEventRuntime(options: EventRuntimeOptions): EventRuntime {
  const { database, service, transport, logger } = options;
  const metrics: EventMetrics | undefined = options.registry
    ? registerEventMetrics(options.registry, database, service)
    : undefined;
  const outbox = createOutbox(service);
  const relay = new OutboxRelay({
    database,
    service,
    transport,
    ...(logger ? { logger } : {}),
    ...options.relay,
    onPublished: (count) => metrics?.recordPublished(count),
  });
  const pending: Array<{
    handlers: EventHandlers;
    subscription?: string | undefined;
    relevant?: EventRelevance | undefined;
  }> = [];
  let started = false;

  const onOutcome = (info: DeliveryInfo) => {
    metrics?.recordDelivery(info);
    if (info.outcome === 'dead_lettered') {
      logger?.error(
        {
          subscription: info.subscription,
          eventType: info.type,
          eventId: info.eventId,
          reason: info.reason,
          err: info.error,
        },
        'event dead-lettered',
      );
    } else if (info.outcome === 'retry') {
      logger?.warn(
        {
          subscription: info.subscription,
          eventType: info.type,
          eventId: info.eventId,
          deliveryCount: info.deliveryCount,
          err: info.error,
        },
        'event handler failed; will retry',
      );
    }
  };

  return {
    outbox,
    relay,
    consume(handlers, consumeOptions) {
      if (started) throw new Error('consume() must be called before start()');
      pending.push({ handlers, subscription: consumeOptions?.subscription, relevant: consumeOptions?.relevant });
    },
    async start() {
      started = true;
      for (const { handlers, subscription, relevant } of pending) {
        const subscriber = createSubscriber({
          database,
          service,
          handlers,
          ...(relevant ? { relevant } : {}),
          ...(subscription ? { subscription } : {}),
          maxDeliveryCount: options.maxDeliveryCount ?? 10,
        });
        await transport.subscribe({ ...subscriber, onOutcome });
      }
      await relay.start();
    },
    stop: () => relay.stop(),
    close: () => relay.close(),
    health: () => transport.health(),
  };
}
