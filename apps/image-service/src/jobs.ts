import { imaging, queryRows } from '@astria/db';
import { backoffDelay } from '@astria/service-kit';
import { type SQL, sql } from 'drizzle-orm';
import type { ImageContext } from './context.js';
import { type PendingErasure, processPendingErasure } from './erasure.js';
import {
  givenUpPhotoOutcome,
  JOBS_CHANNEL,
  type PendingPhoto,
  processPendingPhoto,
  publishPhotoOutcome,
} from './photos.js';
import { failPendingTune, type PendingTune, processPendingTune } from './training.js';

/** How long a worker holds a claimed job before another may take it (a crashed worker's job comes back). */
const LEASE_SECONDS = 300;

export interface JobWorkerOptions {
  /** Safety poll when no NOTIFY arrives (jobs due after a backoff, or a missed wake-up). */
  pollMs: number;
  /** Attempts of one job before giving up (photo: rejected `unreadable`; tune: `training_failed`). */
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
}

type Kind = 'photo' | 'tune' | 'erasure';

const TABLES: Record<Kind, { table: SQL; key: SQL }> = {
  photo: { table: sql`imaging.photos`, key: sql`id` },
  tune: { table: sql`imaging.tunes`, key: sql`request_id` },
  erasure: { table: sql`imaging.erasures`, key: sql`user_hash` },
};

/**
 * Runs the photo and training jobs the event handlers record, outside any database transaction (the
 * handlers only insert a pending row in the inbox transaction). One loop per kind, so a slow Astria
 * training call never delays photo inspection. Claims use `FOR UPDATE SKIP LOCKED` and a lease, so
 * several replicas share the work and a crashed one's job is picked up again.
 */
export class JobWorker {
  private stopped = true;
  private readonly wakers = new Set<() => void>();
  private loops: Promise<void>[] = [];
  private unlisten: (() => Promise<void>) | undefined;

  constructor(
    private readonly ctx: ImageContext,
    private readonly options: JobWorkerOptions,
  ) {}

  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    try {
      this.unlisten = await this.ctx.database.listen(JOBS_CHANNEL, () => this.wake());
    } catch (error) {
      this.ctx.log.warn({ err: error }, 'job wake-ups unavailable; polling only');
    }
    this.loops = (['photo', 'tune', 'erasure'] as const).map((kind) => this.loop(kind));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await Promise.all(this.loops);
    this.loops = [];
    await this.unlisten?.().catch(() => undefined);
    this.unlisten = undefined;
  }

  private wake(): void {
    for (const w of [...this.wakers]) w();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakers.add(done);
    });
  }

  private async loop(kind: Kind): Promise<void> {
    while (!this.stopped) {
      let worked = false;
      try {
        worked = await this.runOne(kind);
      } catch (error) {
        this.ctx.log.error({ err: error, kind }, 'job loop error');
      }
      if (!worked && !this.stopped) await this.sleep(this.options.pollMs);
    }
  }

  /** Claims and runs one due job of a kind; false when none is due. */
  async runOne(kind: Kind): Promise<boolean> {
    const { table, key } = TABLES[kind];
    const [claimed] = await queryRows<{ key: string }>(
      this.ctx.database.db,
      sql`update ${table} set claimed_until = now() + make_interval(secs => ${LEASE_SECONDS}), attempts = attempts + 1
           where ${key} = (select ${key} from ${table}
                            where status = 'pending' and next_attempt_at <= now()
                              and (claimed_until is null or claimed_until < now())
                            order by next_attempt_at limit 1 for update skip locked)
           returning ${key}::text as key`,
    );
    if (!claimed) return false;
    if (kind === 'photo') {
      const [row] = await this.ctx.database.db
        .select()
        .from(imaging.photos)
        .where(sql`${imaging.photos.id} = ${claimed.key}`);
      if (row) await this.attempt(kind, row, () => processPendingPhoto(this.ctx, row));
    } else if (kind === 'erasure') {
      const [row] = await this.ctx.database.db
        .select()
        .from(imaging.erasures)
        .where(sql`${imaging.erasures.userHash} = ${claimed.key}`);
      if (row) await this.attempt(kind, row, () => processPendingErasure(this.ctx, row));
    } else {
      const [row] = await this.ctx.database.db
        .select()
        .from(imaging.tunes)
        .where(sql`${imaging.tunes.requestId} = ${claimed.key}`);
      if (row) await this.attempt(kind, row, () => processPendingTune(this.ctx, row));
    }
    return true;
  }

  private async attempt(
    kind: Kind,
    row: PendingPhoto | PendingTune | PendingErasure,
    run: () => Promise<void>,
  ): Promise<void> {
    try {
      await run();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const id = 'requestId' in row ? row.requestId : 'id' in row ? row.id : row.userHash;
      // An erasure is never given up: it is retried (at the longest backoff) and alerted until it succeeds.
      if (kind === 'erasure' && row.attempts >= this.options.maxAttempts)
        this.ctx.log.error({ alert: true, kind, attempts: row.attempts, err: error }, 'erasure keeps failing');
      else if (row.attempts >= this.options.maxAttempts) {
        this.ctx.log.error({ kind, id, attempts: row.attempts, err: error }, 'job failed for good');
        if (kind === 'photo') await publishPhotoOutcome(this.ctx, row as PendingPhoto, givenUpPhotoOutcome());
        else await failPendingTune(this.ctx, row as PendingTune, 'astria_unavailable', message);
        return;
      }
      const delayMs = backoffDelay(row.attempts, { baseMs: this.options.retryBaseMs, maxMs: this.options.retryMaxMs });
      this.ctx.log.warn({ kind, id, attempts: row.attempts, delayMs, err: error }, 'job failed; will retry');
      const { table, key } = TABLES[kind];
      await this.ctx.database.db.execute(
        sql`update ${table} set claimed_until = null, last_error = ${message.slice(0, 2000)},
                 next_attempt_at = now() + make_interval(secs => ${delayMs / 1000})
             where ${key} = ${id} and status = 'pending'`,
      );
    }
  }
}
