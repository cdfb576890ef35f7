import { type Database, queryRows } from '@astria/db';
import { sql } from 'drizzle-orm';

export interface SendLimiterOptions {
  database: Database;
  /** The WhatsApp number whose budget this is (the Graph phone number id: one bucket per number). */
  phoneNumberId: string;
  /** Sends per second across every pod (WHATSAPP_MAX_MPS). */
  perSecond: number;
  /** Most tokens that accrue while idle (default perSecond / 10, at least 1). */
  burst?: number;
  /** Most tokens taken per round trip (default perSecond / 20, at least 1). */
  batch?: number;
}

/**
 * The number's send budget shared by every message-service pod: a token bucket in PostgreSQL
 * (`messaging.send_limits`, one row per number), refilled by the time elapsed since it was last taken
 * from. A process takes tokens in batches (at most as many as it has callers waiting) so that 80 sends a
 * second cost a few round trips, not 80; when the bucket is empty it waits until the next token is due.
 * Callers are served first come, first served, so one user's messages (sent one after the other by the
 * keyed consumer) keep their order.
 */
export class SendLimiter {
  private readonly waiting: Array<() => void> = [];
  private pumping = false;
  private closed = false;
  private readonly burst: number;
  private readonly batch: number;

  constructor(private readonly options: SendLimiterOptions) {
    this.burst = options.burst ?? Math.max(1, Math.floor(options.perSecond / 10));
    this.batch = options.batch ?? Math.max(1, Math.ceil(options.perSecond / 20));
  }

  /** Resolves when the caller may send one message. */
  acquire(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.closed) {
        reject(new Error('send limiter closed'));
        return;
      }
      this.waiting.push(resolve);
      if (!this.pumping) {
        this.pumping = true;
        this.pump().catch(() => {});
      }
    });
  }

  /** Stops taking tokens; callers still waiting are released (the process is shutting down). */
  close(): void {
    this.closed = true;
    for (const resolve of this.waiting.splice(0)) resolve();
  }

  private async pump(): Promise<void> {
    try {
      while (this.waiting.length > 0 && !this.closed) {
        let taken: { granted: number; waitMs: number };
        try {
          taken = await this.take(Math.min(this.waiting.length, this.batch));
        } catch {
          taken = { granted: 0, waitMs: 100 }; // database unreachable: try again shortly, never send unchecked
        }
        for (const resolve of this.waiting.splice(0, taken.granted)) resolve();
        if (taken.granted === 0) await new Promise((r) => setTimeout(r, Math.max(1, taken.waitMs)));
      }
    } finally {
      this.pumping = false;
      if (this.waiting.length > 0 && !this.closed) {
        this.pumping = true;
        this.pump().catch(() => {});
      }
    }
  }

  /** One round trip: refill by elapsed time (capped at burst), take up to `want` whole tokens. */
  private async take(want: number): Promise<{ granted: number; waitMs: number }> {
    const { database, phoneNumberId, perSecond } = this.options;
    const [row] = await queryRows<{ granted: number; left: number }>(
      database.db,
      sql`with seed as (
            insert into messaging.send_limits (phone_number_id, tokens, refilled_at)
            values (${phoneNumberId}, ${this.burst}, clock_timestamp())
            on conflict (phone_number_id) do nothing
          ),
          bucket as (
            select least(${this.burst}::float8,
                         tokens + greatest(0, extract(epoch from clock_timestamp() - refilled_at)) * ${perSecond}::float8)
                     as available,
                   clock_timestamp() as at
            from messaging.send_limits where phone_number_id = ${phoneNumberId} for update
          )
          update messaging.send_limits s
             set tokens = b.available - least(${want}::int, floor(b.available)::int),
                 refilled_at = b.at
            from bucket b
           where s.phone_number_id = ${phoneNumberId}
       returning least(${want}::int, floor(b.available)::int) as granted,
                 b.available - least(${want}::int, floor(b.available)::int) as "left"`,
    );
    if (!row) return { granted: 0, waitMs: 1 }; // the row was just seeded by this statement: take on the next trip
    const granted = Number(row.granted);
    return { granted, waitMs: granted > 0 ? 0 : Math.ceil(((1 - Number(row.left)) / perSecond) * 1000) };
  }
}
