import { type Database, EVENT_TABLES, SERVICE_SCHEMAS, type ServiceName } from '@astria/db';
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { EventEnvelope } from './envelope.js';
import { outboxChannel } from './outbox.js';

/** What every dead letter tells, wherever it is kept (a service's schema, or a Service Bus dead-letter queue). */
export interface DeadLetterFields {
  /** What `events dlq replay` takes. */
  ref: string;
  subscription: string;
  eventId: string;
  type: string;
  key: string | null;
  reason: string;
  lastError: string | null;
  deliveryCount: number;
  deadLetteredAt: Date | null;
}

export interface DeadLetterView extends DeadLetterFields {
  /** `<schema>:<id>`. */
  ref: string;
  service: ServiceName;
  deadLetteredAt: Date;
}

function short(text: string | null, max = 80): string {
  if (!text) return '';
  const line = text.replace(/\s+/g, ' ');
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** `events dlq list`'s output: a count, then one line a dead letter (or "No dead letters."). */
export function printDeadLetters(letters: DeadLetterFields[], out: Pick<Console, 'log'> = console): void {
  if (letters.length === 0) {
    out.log('No dead letters.');
    return;
  }
  out.log(`${letters.length} dead letter${letters.length === 1 ? '' : 's'}:`);
  for (const d of letters) {
    out.log(
      `${d.ref.padEnd(16)} ${d.deadLetteredAt?.toISOString() ?? ''}  ${d.subscription} ← ${d.type}  event ${d.eventId}  ` +
        `after ${d.deliveryCount} deliver${d.deliveryCount === 1 ? 'y' : 'ies'}: ${d.reason}  ${short(d.lastError)}`,
    );
  }
}

const SERVICES = Object.keys(SERVICE_SCHEMAS) as ServiceName[];

function parseRef(ref: string): { service: ServiceName; id: number } {
  const [schema, id] = ref.split(':');
  const service = SERVICES.find((s) => SERVICE_SCHEMAS[s] === schema);
  const n = Number(id);
  if (!service || !Number.isInteger(n) || n <= 0) {
    throw new Error(
      `"${ref}" is not a dead-letter reference: expected <schema>:<id>, e.g. messaging:12 (see "events dlq list")`,
    );
  }
  return { service, id: n };
}

/** Unreplayed dead letters of every service (memory transport: they live in each service's schema). */
export async function listDeadLetters(database: Database): Promise<DeadLetterView[]> {
  const out: DeadLetterView[] = [];
  for (const service of SERVICES) {
    const t = EVENT_TABLES[service].deadLetters;
    const rows = await database.db.select().from(t).where(isNull(t.replayedAt)).orderBy(asc(t.id));
    for (const r of rows) {
      out.push({
        ref: `${SERVICE_SCHEMAS[service]}:${r.id}`,
        service,
        subscription: r.subscription,
        eventId: r.eventId,
        type: r.type,
        key: r.key,
        reason: r.reason,
        lastError: r.lastError,
        deliveryCount: r.deliveryCount,
        deadLetteredAt: r.deadLetteredAt,
      });
    }
  }
  return out.sort((a, b) => a.deadLetteredAt.getTime() - b.deadLetteredAt.getTime());
}

/**
 * Replays one dead letter: in one transaction the event goes back into the subscribing service's
 * outbox, addressed to that subscription only, and the dead letter is marked replayed. The
 * service's relay delivers it again; its inbox still guarantees a single effect.
 */
export async function replayDeadLetter(database: Database, ref: string): Promise<DeadLetterView | null> {
  const { service, id } = parseRef(ref);
  const { deadLetters, outbox } = EVENT_TABLES[service];
  return database.db.transaction(async (tx) => {
    const [row] = await tx
      .update(deadLetters)
      .set({ replayedAt: sql`now()` })
      .where(and(eq(deadLetters.id, id), isNull(deadLetters.replayedAt)))
      .returning();
    if (!row) return null;
    const envelope = row.envelope as EventEnvelope;
    await tx.insert(outbox).values({
      eventId: row.eventId,
      type: row.type,
      key: row.key,
      envelope,
      targetSubscription: row.subscription,
    });
    await tx.execute(sql`select pg_notify(${outboxChannel(service)}, '')`);
    return {
      ref,
      service,
      subscription: row.subscription,
      eventId: row.eventId,
      type: row.type,
      key: row.key,
      reason: row.reason,
      lastError: row.lastError,
      deliveryCount: row.deliveryCount,
      deadLetteredAt: row.deadLetteredAt,
    };
  });
}
