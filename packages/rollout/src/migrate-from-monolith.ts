import { type Executor, queryRows } from '@astria/db';
import { sql } from 'drizzle-orm';
import {
  importMessageIds,
  importOldUser,
  importPaymentIds,
  type OldUser,
  oldUserDetails,
  type SkipReason,
} from './monolith-import.js';

export interface KindReport {
  read: number;
  imported: number;
  skipped: Partial<Record<SkipReason, number>>;
  /** Resumed after this key (an interrupted earlier run). */
  resumedAfter?: string;
}

export interface ImportReport {
  readonly dryRun: boolean;
  readonly users: KindReport;
  readonly messages: KindReport;
  readonly payments: KindReport;
  /** Ratings imported with users imported for the first time. */
  ratings: number;
  /** Users who were uploading: asked to resend their photos when they next write. */
  photosToRerequest: number;
}

export interface MigrateFromMonolithOptions {
  /** The old app's database (read-only: only selects are sent). */
  readonly oldDb: Executor;
  /** The new system's database. */
  readonly db: Executor;
  /** Names the source for the resume checkpoints (host/database, no password). */
  readonly source: string;
  readonly dryRun?: boolean;
  /** Message ids of the last N days (Meta retries come within days; default 14). */
  readonly sinceDays?: number;
  readonly batchSize?: number;
  /** Ignore the checkpoints of an interrupted run and start over. */
  readonly restart?: boolean;
  readonly onProgress?: (kind: 'users' | 'messages' | 'payments', done: number, total: number) => void;
  readonly now?: Date;
}

type Kind = 'users' | 'messages' | 'payments';

const emptyReport = (): KindReport => ({ read: 0, imported: 0, skipped: {} });

/**
 * `pnpm migrate-from-monolith`: users (state, language, chosen pack, credits, tune id → saved model,
 * subject class, ratings; photos to re-request), recent message ids and payment ids, in batches of
 * one transaction each with a checkpoint: an interrupted run resumes after its last batch, a complete
 * run clears its checkpoints, and any run can be repeated (every write is an upsert or insert-if-absent).
 */
export async function migrateFromMonolith(options: MigrateFromMonolithOptions): Promise<ImportReport> {
  const { oldDb, db, source } = options;
  const dryRun = options.dryRun ?? false;
  const batchSize = options.batchSize ?? 200;
  const sinceDays = options.sinceDays ?? 14;
  const now = options.now ?? new Date();
  const report: ImportReport = {
    dryRun,
    users: emptyReport(),
    messages: emptyReport(),
    payments: emptyReport(),
    ratings: 0,
    photosToRerequest: 0,
  };
  if (options.restart && !dryRun)
    await db.execute(sql`delete from rollout.import_checkpoints where source = ${source}`);

  async function checkpoint(kind: Kind): Promise<string> {
    if (dryRun) return '';
    const rows = await queryRows<{ last_key: string }>(
      db,
      sql`select last_key from rollout.import_checkpoints where source = ${source} and kind = ${kind}`,
    );
    const after = rows[0]?.last_key ?? '';
    if (after) report[kind].resumedAfter = after;
    return after;
  }
  const saveCheckpoint = (tx: Executor, kind: Kind, key: string) =>
    tx.execute(
      sql`insert into rollout.import_checkpoints (source, kind, last_key) values (${source}, ${kind}, ${key})
          on conflict (source, kind) do update set last_key = excluded.last_key, updated_at = now()`,
    );
  const skip = (kind: Kind, reason: SkipReason, n = 1) => {
    report[kind].skipped[reason] = (report[kind].skipped[reason] ?? 0) + n;
  };
  const total = async (query: ReturnType<typeof sql>) => (await queryRows<{ n: number }>(oldDb, query))[0]?.n ?? 0;

  // Users.
  {
    let after = await checkpoint('users');
    const count = Number(await total(sql`select count(*)::int as n from users where phone > ${after}`));
    for (;;) {
      const users = await queryRows<OldUser>(
        oldDb,
        sql`select phone, state, credits, tuneid, chosen_pack, entity_type, language from users
            where phone > ${after} order by phone limit ${batchSize}`,
      );
      if (users.length === 0) break;
      const { media, ratings } = await oldUserDetails(
        oldDb,
        users.map((u) => u.phone),
      );
      const apply = async (tx: Executor) => {
        for (const user of users) {
          report.users.read++;
          const outcome = await importOldUser(tx, user, {
            mediaIds: media.get(user.phone) ?? [],
            ratings: ratings.get(user.phone) ?? [],
            via: 'bulk',
            now,
            dryRun,
          });
          if (!outcome.imported) {
            skip('users', outcome.reason ?? 'invalid-phone');
            continue;
          }
          report.users.imported++;
          if (outcome.first) report.ratings += ratings.get(user.phone)?.length ?? 0;
          const uploading =
            (user.state ?? 0) <= 1 && !(user.tuneid ?? '').trim() && (media.get(user.phone)?.length ?? 0) > 0;
          if (uploading) report.photosToRerequest++;
        }
        after = users.at(-1)?.phone ?? after;
        if (!dryRun) await saveCheckpoint(tx, 'users', after);
      };
      if (dryRun) await apply(db);
      else await db.transaction(apply);
      options.onProgress?.('users', report.users.read, count);
    }
  }

  // Message ids and payment ids: recorded so retries of what the old app handled are not handled again.
  for (const kind of ['messages', 'payments'] as const) {
    let after = await checkpoint(kind);
    const recent = kind === 'messages' ? sql`and (date is null or date >= current_date - ${sinceDays}::int)` : sql``;
    const table = kind === 'messages' ? sql`msgs` : sql`payments`;
    const count = Number(await total(sql`select count(*)::int as n from ${table} where id > ${after} ${recent}`));
    for (;;) {
      const rows = await queryRows<{ id: string; date: string | null }>(
        oldDb,
        sql`select id, date::text as date from ${table} where id > ${after} ${recent} order by id limit ${batchSize}`,
      );
      if (rows.length === 0) break;
      report[kind].read += rows.length;
      let added: number;
      if (dryRun) {
        const ids = sql.join(
          rows.map((r) => sql`${r.id}`),
          sql`, `,
        );
        const known =
          kind === 'messages'
            ? sql`select count(*)::int as n from messaging.inbound_messages where wamid in (${ids})`
            : sql`select count(*)::int as n from payments.payments where provider = 'sumit' and provider_payment_id in (${ids})`;
        added = rows.length - Number((await queryRows<{ n: number }>(db, known))[0]?.n ?? 0);
      } else {
        added = await db.transaction(async (tx) => {
          const n = kind === 'messages' ? await importMessageIds(tx, rows) : await importPaymentIds(tx, rows);
          await saveCheckpoint(tx, kind, rows.at(-1)?.id ?? after);
          return n;
        });
      }
      after = rows.at(-1)?.id ?? after;
      report[kind].imported += added;
      if (rows.length > added) skip(kind, 'already-recorded', rows.length - added);
      options.onProgress?.(kind, report[kind].read, count);
    }
  }
  // A complete run: the next one starts from the beginning again (a refresh).
  if (!dryRun) await db.execute(sql`delete from rollout.import_checkpoints where source = ${source}`);
  return report;
}

/** The report's lines, as the CLI prints them. */
export function formatImportReport(report: ImportReport): string[] {
  const line = (name: string, r: KindReport) => {
    const skipped = Object.entries(r.skipped)
      .map(([reason, n]) => `${n} ${reason}`)
      .join(', ');
    const resumed = r.resumedAfter ? ` (resumed after ${r.resumedAfter})` : '';
    return `${name}: read ${r.read}, ${report.dryRun ? 'would import' : 'imported'} ${r.imported}, skipped ${Object.values(
      r.skipped,
    ).reduce((a, b) => a + (b ?? 0), 0)}${skipped ? ` (${skipped})` : ''}${resumed}`;
  };
  return [
    report.dryRun ? 'dry run: nothing was written' : 'import complete',
    line('users', report.users),
    line('message ids', report.messages),
    line('payment ids', report.payments),
    `ratings ${report.dryRun ? 'to import' : 'imported'}: ${report.ratings}`,
    `users asked to resend their photos when they next write: ${report.photosToRerequest}`,
  ];
}
