import { type Database, EVENT_TABLES, type EventTables } from '@astria/db';
import { backoffDelay, type Logger } from '@astria/service-kit';
import { and, asc, inArray, isNull, lt, or, type SQL, sql } from 'drizzle-orm';
import type { ServiceName } from './catalog.js';
import type { EventEnvelope } from './envelope.js';
import { outboxChannel } from './outbox.js';
import { errorMessage, type OutgoingEvent, type Transport } from './transport.js';

export interface OutboxRelayOptions {
  database: Database;
  service: ServiceName;
  transport: Transport;
  logger?: Logger;
  batchSize?: number;
  /** Safety poll when no NOTIFY arrives (a missed notification, another process's rows). */
  safetyPollMs?: number;
  /** How long a claimed row is reserved for this relay; renewed while its publish is in flight. */
  leaseMs?: number;
  /** Upper bound of events handed to the transport and not yet settled. */
  maxInFlight?: number;
  /** Called after each batch is marked published: (events, ms from commit to published). */
  onPublished?: (count: number) => void;
}

interface ClaimedRow {
  seq: number;
  envelope: unknown;
  targetSubscription: string | null;
}

/** After a failed publish, the rows wait from 1 s up to a minute before they are claimed again. */
const PUBLISH_BACKOFF = { baseMs: 500, maxMs: 60_000 };

/**
 * A set of outbox seqs as one bound parameter (a JSON array read as bigint[]): one statement for any
 * number of rows, and a statement text that does not change with the seqs (no SQL text built from
 * them per claim, mark or renewal; the server plans an index scan on seq either way).
 */
function seqArray(seqs: number[]): SQL {
  return sql`array(select json_array_elements_text(${JSON.stringify(seqs.map((seq) => Math.trunc(seq)))}::json)::bigint)`;
}

/** `now() + ms` as a timestamp expression (the interval a bound parameter). */
function inMs(ms: number): SQL {
  return sql`now() + make_interval(secs => ${Math.max(0, Math.round(ms)) / 1000}::float8)`;
}

/**
 * Publishes a service's outbox. Woken by NOTIFY at commit, with a slow safety poll. Rows are
 * claimed with FOR UPDATE SKIP LOCKED and a lease, so several relays never publish the same row
 * at once; a row is marked published only when the transport has taken responsibility for it.
 */
export class OutboxRelay {
  private readonly outbox: EventTables['outbox'];
  private readonly batchSize: number;
  private readonly safetyPollMs: number;
  private readonly leaseMs: number;
  private readonly maxInFlight: number;
  private readonly inFlight = new Set<number>();
  private readonly settledSeqs: number[] = [];
  private running = false;
  private draining: Promise<void> | null = null;
  private wakeRequested = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private leaseTimer: NodeJS.Timeout | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  private capacityWaiter: (() => void) | undefined;
  private publishFailures = 0;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly options: OutboxRelayOptions) {
    this.outbox = EVENT_TABLES[options.service].outbox;
    this.batchSize = options.batchSize ?? 200;
    this.safetyPollMs = options.safetyPollMs ?? 5000;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.maxInFlight = options.maxInFlight ?? 5000;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      this.unlisten = await this.options.database.listen(outboxChannel(this.options.service), () => this.wake());
    } catch (error) {
      this.options.logger?.warn(
        { err: errorMessage(error) },
        'outbox relay: LISTEN failed, relying on the safety poll',
      );
    }
    this.pollTimer = setInterval(() => this.wake(), this.safetyPollMs);
    this.pollTimer.unref();
    this.leaseTimer = setInterval(() => void this.renewLeases(), Math.max(1000, Math.floor(this.leaseMs / 3)));
    this.leaseTimer.unref();
    this.wake();
  }

  /** Runs the relay now (coalesced): used on NOTIFY, on the poll and by tests. */
  wake(): void {
    if (!this.running) return;
    if (this.draining) {
      this.wakeRequested = true;
      return;
    }
    this.draining = this.drain().finally(() => {
      this.draining = null;
      if (this.wakeRequested) {
        this.wakeRequested = false;
        this.wake();
      }
    });
  }

  get pendingInFlight(): number {
    return this.inFlight.size;
  }

  private async drain(): Promise<void> {
    while (this.running) {
      if (this.inFlight.size >= this.maxInFlight) {
        await new Promise<void>((resolve) => {
          this.capacityWaiter = resolve;
        });
        continue;
      }
      let rows: ClaimedRow[];
      try {
        rows = await this.claim(Math.min(this.batchSize, this.maxInFlight - this.inFlight.size));
      } catch (error) {
        this.options.logger?.warn(
          { err: errorMessage(error) },
          'outbox relay: claim failed; retrying on the next poll',
        );
        return;
      }
      if (rows.length === 0) return;
      rows.sort((a, b) => a.seq - b.seq);
      const seqs = rows.map((r) => r.seq);
      for (const seq of seqs) this.inFlight.add(seq);
      const events: OutgoingEvent[] = rows.map((r) => ({
        envelope: (typeof r.envelope === 'string' ? JSON.parse(r.envelope) : r.envelope) as EventEnvelope,
        targetSubscription: r.targetSubscription,
      }));
      // Handed over in seq order; not awaited, so the memory transport's slow handlers don't stall the relay.
      this.options.transport.publish(events).then(
        () => this.settle(seqs),
        (error: unknown) => void this.release(seqs, error),
      );
      if (rows.length < this.batchSize) return;
    }
  }

  /** Claims up to `limit` pending rows, oldest first, skipping rows another relay holds (one statement). */
  private async claim(limit: number): Promise<ClaimedRow[]> {
    if (limit <= 0) return [];
    const o = this.outbox;
    const exclude = [...this.inFlight];
    const pending = this.options.database.db
      .select({ seq: o.seq })
      .from(o)
      .where(
        and(
          isNull(o.publishedAt),
          or(isNull(o.claimedUntil), lt(o.claimedUntil, sql`now()`)),
          exclude.length > 0 ? sql`${o.seq} <> all(${seqArray(exclude)})` : undefined,
        ),
      )
      .orderBy(asc(o.seq))
      .limit(limit)
      .for('update', { skipLocked: true });
    return this.options.database.db
      .update(o)
      .set({ claimedUntil: inMs(this.leaseMs), publishAttempts: sql`${o.publishAttempts} + 1` })
      .where(inArray(o.seq, pending))
      .returning({ seq: o.seq, envelope: o.envelope, targetSubscription: o.targetSubscription });
  }

  private settle(seqs: number[]): void {
    this.publishFailures = 0;
    this.settledSeqs.push(...seqs);
    if (this.settledSeqs.length >= this.batchSize) void this.flush();
    else if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => void this.flush(), 2);
    }
  }

  /** Marks settled rows published, many per statement. */
  flush(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.flushing = this.flushing.then(async () => {
      if (this.settledSeqs.length === 0) return;
      const seqs = this.settledSeqs.splice(0);
      try {
        await this.options.database.db
          .update(this.outbox)
          .set({ publishedAt: sql`now()`, claimedUntil: null, lastError: null })
          .where(sql`${this.outbox.seq} = any(${seqArray(seqs)})`);
        for (const seq of seqs) this.inFlight.delete(seq);
        this.options.onPublished?.(seqs.length);
        this.capacityWaiter?.();
        this.capacityWaiter = undefined;
      } catch (error) {
        // Not marked: the lease expires and the rows are published again; consumers' inboxes absorb the repeat.
        for (const seq of seqs) this.inFlight.delete(seq);
        this.options.logger?.warn({ err: errorMessage(error), count: seqs.length }, 'outbox relay: marking failed');
      }
    });
    return this.flushing;
  }

  private async release(seqs: number[], error: unknown): Promise<void> {
    this.publishFailures++;
    const backoffMs = backoffDelay(this.publishFailures + 1, PUBLISH_BACKOFF);
    this.options.logger?.warn(
      { err: errorMessage(error), count: seqs.length, retryInMs: backoffMs },
      'outbox relay: publish failed; rows stay pending',
    );
    try {
      await this.options.database.db
        .update(this.outbox)
        .set({ claimedUntil: inMs(backoffMs), lastError: errorMessage(error).slice(0, 2000) })
        .where(sql`${this.outbox.seq} = any(${seqArray(seqs)})`);
    } catch {
      // the lease expires on its own
    }
    for (const seq of seqs) this.inFlight.delete(seq);
    this.capacityWaiter?.();
    this.capacityWaiter = undefined;
  }

  private async renewLeases(): Promise<void> {
    if (this.inFlight.size === 0) return;
    const seqs = [...this.inFlight];
    try {
      await this.options.database.db
        .update(this.outbox)
        .set({ claimedUntil: inMs(this.leaseMs) })
        .where(and(isNull(this.outbox.publishedAt), sql`${this.outbox.seq} = any(${seqArray(seqs)})`));
    } catch {
      // next renewal, or the lease lapses and the rows are redelivered (idempotently)
    }
  }

  /** Stops claiming new rows; rows already handed to the transport may still settle. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.pollTimer);
    this.capacityWaiter?.();
    await this.draining;
  }

  /**
   * After the transport stopped: marks what settled, and releases the claims of rows still in
   * flight so the next process picks them up at once rather than after the lease.
   */
  async close(): Promise<void> {
    await this.stop();
    clearInterval(this.leaseTimer);
    await this.flush();
    await this.unlisten?.().catch(() => {});
    const unsettled = [...this.inFlight];
    if (unsettled.length > 0) {
      await this.options.database.db
        .update(this.outbox)
        .set({ claimedUntil: null })
        .where(and(isNull(this.outbox.publishedAt), sql`${this.outbox.seq} = any(${seqArray(unsettled)})`))
        .catch(() => {});
    }
  }
}
