import { type Database, imaging, queryRows } from '@astria/db';
import type { Logger } from '@astria/service-kit';
import { eq, sql } from 'drizzle-orm';
import { AstriaError } from './astria-client.js';
import { recordPrompts } from './callbacks.js';
import { createImageParts, type ImageParts, type ImagePartsConfig } from './context.js';
import { type AstriaPrompt, isFinished, parsePrompt } from './domain/callbacks.js';
import type { ImageMetrics } from './metrics.js';

export interface ReconcileResult {
  checked: number;
  recovered: number;
  pending: number;
}

export interface ImageMaintenance {
  /**
   * Tunes past ETA + grace whose images never came (Astria does not retry callbacks): poll
   * `GET /tunes/{id}/prompts` and feed finished prompts through the callback path (`recordPrompts`),
   * so a callback and reconciliation racing publish one `images_generated`.
   */
  reconcile(opts: { dryRun: boolean; graceMinutes: number; limit?: number }): Promise<ReconcileResult>;
  /** Photos of users whose tune trained, or untouched for more than N days: DB rows and blobs. */
  purgePhotos(opts: { dryRun: boolean; abandonedAfterDays: number; batchSize: number }): Promise<{
    rows: number;
    blobs: number;
  }>;
  /** Astria `DELETE /tunes/{id}` for tunes trained more than N days ago whose images were delivered. */
  deleteExpiredTunes(opts: { dryRun: boolean; retentionDays: number; batchSize: number }): Promise<{ tunes: number }>;
}

/** Prompts of a request among a tune's prompts: for a render on an existing tune, only those made since the request. */
export function promptsOfRequest(
  all: AstriaPrompt[],
  request: { tuneId: number; existingTuneId: number | null; requestedAt: Date },
): AstriaPrompt[] {
  const ours = all.filter((p) => p.tuneId === null || p.tuneId === request.tuneId);
  if (request.existingTuneId === null) return ours;
  const since = request.requestedAt.getTime() - 60_000;
  return ours.filter((p) => p.createdAt !== null && new Date(p.createdAt).getTime() >= since);
}

export function createImageMaintenanceFromContext(ctx: ImageParts): ImageMaintenance {
  const db = ctx.database.db;
  return {
    async reconcile({ dryRun, graceMinutes, limit = 100 }) {
      const due = await queryRows<{
        request_id: string;
        tune_id: string | number;
        existing_tune_id: string | number | null;
        requested_at: string | Date;
      }>(
        db,
        sql`select request_id, tune_id, existing_tune_id, requested_at
              from imaging.tunes
             where images_published_at is null
               and status in ('created', 'trained')
               and tune_id is not null
               and coalesce(eta, requested_at + interval '1 hour') + make_interval(mins => ${graceMinutes}) < now()
             order by coalesce(eta, requested_at) asc
             limit ${limit}`,
      );
      const result: ReconcileResult = { checked: 0, recovered: 0, pending: 0 };
      for (const row of due) {
        result.checked++;
        const request = {
          tuneId: Number(row.tune_id),
          existingTuneId: row.existing_tune_id === null ? null : Number(row.existing_tune_id),
          requestedAt: new Date(row.requested_at),
        };
        let prompts: AstriaPrompt[];
        try {
          const raw = await ctx.astria.getTunePrompts(request.tuneId);
          prompts = promptsOfRequest(
            raw.flatMap((p) => {
              try {
                return [parsePrompt(p)];
              } catch {
                return [];
              }
            }),
            request,
          );
        } catch (error) {
          ctx.log.warn(
            {
              requestId: row.request_id,
              tuneId: request.tuneId,
              err: error instanceof AstriaError ? error.message : error,
            },
            'reconciliation could not read the prompts',
          );
          result.pending++;
          continue;
        }
        if (dryRun) {
          if (prompts.length > 0 && prompts.every(isFinished)) result.recovered++;
          else result.pending++;
          continue;
        }
        const outcome = await recordPrompts(ctx, row.request_id, prompts, {
          completeSet: true,
          source: 'reconciliation',
        });
        if (outcome.outcome === 'published' || outcome.outcome === 'failed') result.recovered++;
        else if (outcome.outcome === 'recorded') result.pending++;
      }
      ctx.log.info({ ...result, dryRun }, 'reconciliation done');
      return result;
    },

    async purgePhotos({ dryRun, abandonedAfterDays, batchSize }) {
      const due = sql`p.status <> 'pending' and (p.updated_at < now() - make_interval(days => ${abandonedAfterDays})
                  or exists (select 1 from imaging.tunes t
                              where t.user_id = p.user_id and t.trained_at is not null
                                and p.created_at <= t.requested_at))`;
      if (dryRun) {
        const [count] = await queryRows<{ rows: number | string; blobs: number | string }>(
          db,
          sql`select count(*) as rows, count(p.blob_key) as blobs from imaging.photos p where ${due}`,
        );
        return { rows: Number(count?.rows ?? 0), blobs: Number(count?.blobs ?? 0) };
      }
      const totals = { rows: 0, blobs: 0 };
      const seen = new Set<string>();
      for (;;) {
        const batch = await queryRows<{ id: string; blob_key: string | null }>(
          db,
          sql`select p.id, p.blob_key
                from imaging.photos p
               where ${due}
               order by p.created_at asc
               limit ${batchSize}`,
        );
        const fresh = batch.filter((r) => !seen.has(r.id));
        if (fresh.length === 0) break;
        for (const row of fresh) {
          seen.add(row.id);
          totals.rows++;
          if (row.blob_key) {
            await ctx.blobs.delete(row.blob_key);
            totals.blobs++;
          }
          await db.delete(imaging.photos).where(eq(imaging.photos.id, row.id));
        }
        if (batch.length < batchSize) break;
      }
      ctx.log.info(totals, 'photo purge done');
      return totals;
    },

    async deleteExpiredTunes({ dryRun, retentionDays, batchSize }) {
      const due = await queryRows<{ tune_id: string | number }>(
        db,
        sql`select tune_id
              from imaging.tunes
             where tune_id is not null and tune_deleted_at is null
             group by tune_id
            having max(coalesce(trained_at, created_at)) < now() - make_interval(days => ${retentionDays})
               and bool_and(images_published_at is not null or status = 'failed')
             order by tune_id
             limit ${batchSize}`,
      );
      let tunes = 0;
      for (const row of due) {
        const tuneId = Number(row.tune_id);
        if (dryRun) {
          tunes++;
          continue;
        }
        try {
          await ctx.astria.deleteTune(tuneId);
        } catch (error) {
          ctx.log.warn({ tuneId, err: error instanceof Error ? error.message : error }, 'could not delete the tune');
          continue;
        }
        await db
          .update(imaging.tunes)
          .set({ tuneDeletedAt: sql`now()`, updatedAt: sql`now()` })
          .where(eq(imaging.tunes.tuneId, tuneId));
        tunes++;
      }
      ctx.log.info({ tunes, dryRun }, 'expired tunes deleted');
      return { tunes };
    },
  };
}

/** For the maintenance service: the image service's maintenance jobs over its own schema and outbox. */
export function createImageMaintenance(deps: {
  database: Database;
  config: ImagePartsConfig;
  logger?: Logger;
  metrics?: ImageMetrics;
}): ImageMaintenance {
  return createImageMaintenanceFromContext(
    createImageParts({
      database: deps.database,
      config: deps.config,
      ...(deps.logger ? { log: deps.logger } : {}),
      ...(deps.metrics ? { metrics: deps.metrics } : {}),
    }),
  );
}
