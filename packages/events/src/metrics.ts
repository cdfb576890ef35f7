import { type Database, queryRows, SERVICE_SCHEMAS } from '@astria/db';
import { secondsBuckets } from '@astria/service-kit';
import { sql } from 'drizzle-orm';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ServiceName } from './catalog.js';
import type { DeliveryInfo } from './transport.js';

export interface EventMetrics {
  recordDelivery(info: DeliveryInfo): void;
  recordPublished(count: number): void;
}

/** Event metrics on a service's registry: outbox backlog and lag (read at scrape time), relay and consumer counters. */
export function registerEventMetrics(registry: Registry, database: Database, service: ServiceName): EventMetrics {
  const table = `"${SERVICE_SCHEMAS[service]}"."outbox"`;
  let lastBacklog: Promise<{ pending: number; lag: number }> | null = null;
  const readBacklog = () => {
    lastBacklog ??= queryRows<{ pending: number; lag: number | null }>(
      database.db,
      sql`select count(*)::int as pending,
                 coalesce(extract(epoch from now() - min(created_at)), 0)::float8 as lag
          from ${sql.raw(table)} where published_at is null`,
    )
      .then(([row]) => ({ pending: Number(row?.pending ?? 0), lag: Number(row?.lag ?? 0) }))
      .catch(() => ({ pending: -1, lag: -1 }))
      .finally(() => {
        lastBacklog = null;
      });
    return lastBacklog;
  };
  new Gauge({
    name: 'outbox_pending_events',
    help: 'Outbox rows not yet published (-1 when the database is unreachable)',
    registers: [registry],
    async collect() {
      this.set((await readBacklog()).pending);
    },
  });
  new Gauge({
    name: 'outbox_relay_lag_seconds',
    help: 'Age of the oldest unpublished outbox row',
    registers: [registry],
    async collect() {
      this.set((await readBacklog()).lag);
    },
  });
  const published = new Counter({
    name: 'outbox_published_events_total',
    help: 'Outbox rows published (and, on the memory transport, settled by every subscription)',
    registers: [registry],
  });
  const deliveries = new Counter({
    name: 'event_deliveries_total',
    help: 'Event deliveries by subscription, type and outcome (handled, duplicate, retry, dead_lettered)',
    labelNames: ['subscription', 'type', 'outcome'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'event_handler_duration_seconds',
    help: 'Time to apply one delivery, including its transaction',
    labelNames: ['subscription', 'type'],
    buckets: secondsBuckets(0.001, 5),
    registers: [registry],
  });
  const brokerLatency = new Histogram({
    name: 'astria_event_broker_latency_seconds',
    help: "End-to-end broker latency: from the envelope's occurredAt (outbox write, publish) to handled by the subscription",
    labelNames: ['subscription', 'type'],
    buckets: [...secondsBuckets(0.01, 10), 30, 60, 300],
    registers: [registry],
  });
  return {
    recordDelivery(info) {
      deliveries.inc({ subscription: info.subscription, type: info.type, outcome: info.outcome });
      duration.observe({ subscription: info.subscription, type: info.type }, info.durationMs / 1000);
      const latency = brokerLatencySeconds(info);
      if (latency !== null) brokerLatency.observe({ subscription: info.subscription, type: info.type }, latency);
    },
    recordPublished(count) {
      published.inc(count);
    },
  };
}

/** Seconds from the envelope's occurredAt to now for a handled delivery; null otherwise (clock skew clamps to 0). */
export function brokerLatencySeconds(info: DeliveryInfo, now = Date.now()): number | null {
  if (info.outcome !== 'handled' || !info.occurredAt) return null;
  const at = Date.parse(info.occurredAt);
  return Number.isNaN(at) ? null : Math.max(0, now - at) / 1000;
}
