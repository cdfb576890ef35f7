import { type Executor, queryRows } from '@astria/db';
import { sql } from 'drizzle-orm';
import { OLD_STATE } from './old-app-tables.js';
import { readStage } from './stage-store.js';

type NewConversationRow = {
  user_id: string;
  state: string;
  language: string;
  data: unknown;
};

export interface OldUserRow {
  phone: string;
  state: number;
  credits: string;
  tuneid: string | null;
  chosen_pack: string | null;
  entity_type: string | null;
  language: number;
}

interface ConversationData {
  photos?: Array<{ status?: string }>;
  credit?: unknown;
  training?: { tuneId?: number | null; packId?: number } | null;
  models?: Array<{ tuneId?: number; packId?: number; subjectClass?: string }>;
  selectedTuneId?: number | null;
  packId?: number | null;
  subjectClass?: string | null;
}

/**
 * The old app's row for a new conversation (pure). Collecting photos with some accepted, or choosing
 * a pack: 1 (pictures loaded); training: 1 with the tune id (the old app reads "paid, not delivered";
 * the tune calls this system back, which delivers it — re-run the export afterwards); has a model: 2;
 * writing feedback: 3. A pending credit is one credit.
 */
export function oldRowFromConversation(row: NewConversationRow): OldUserRow {
  const data = (typeof row.data === 'string' ? JSON.parse(row.data) : row.data) as ConversationData;
  const accepted = (data.photos ?? []).some((p) => p.status === 'accepted');
  const lastModel = data.models?.at(-1);
  const tuneId = data.training?.tuneId ?? data.selectedTuneId ?? lastModel?.tuneId ?? null;
  const state =
    row.state === 'has_model'
      ? OLD_STATE.tuneReady
      : row.state === 'writing_feedback'
        ? OLD_STATE.writingFeedback
        : row.state === 'training' || row.state === 'choosing_pack' || accepted
          ? OLD_STATE.picturesLoaded
          : OLD_STATE.new;
  const packId = data.training?.packId ?? data.packId ?? lastModel?.packId ?? null;
  return {
    phone: row.user_id,
    state,
    credits: data.credit ? '1' : '0',
    tuneid: tuneId ? String(tuneId) : null,
    chosen_pack: packId ? String(packId) : null,
    entity_type: data.subjectClass ?? lastModel?.subjectClass ?? null,
    language: row.language === 'he' ? 1 : 0,
  };
}

export interface ExportReport {
  users: number;
  messageIds: number;
  paymentIds: number;
}

export interface MigrateToMonolithOptions {
  readonly db: Executor;
  /** The old app's database (written: users, msgs, payments). */
  readonly oldDb: Executor;
  /** Export even when the stage is not fallback (the new system may still change these users). */
  readonly force?: boolean;
  /** Only these users (default: every user the last fallback handed back). */
  readonly users?: readonly string[];
}

/**
 * `pnpm migrate-to-monolith`: after `rollout set --stage fallback`, writes every user the fallback
 * handed back into the old app's tables (state, language, credits, tune id, chosen pack) and the
 * message and SUMIT payment ids this system processed, so the old app continues each conversation
 * where it stood and answers no retry twice. Idempotent (upserts; ids insert-if-absent). Run it once
 * every pod follows the fallback (ROLLOUT_STAGE_TTL_MS) and the outboxes are drained.
 */
export async function migrateToMonolith(options: MigrateToMonolithOptions): Promise<ExportReport> {
  const { db, oldDb } = options;
  const settings = await readStage(db);
  if (settings.stage !== 'fallback' && !options.force) {
    throw new Error(`the stage is ${settings.stage}: run \`pnpm rollout set --stage fallback\` first (or --force)`);
  }
  const users =
    options.users ??
    (
      await queryRows<{ user_id: string }>(
        db,
        sql`select user_id from rollout.owners where reason = 'fallback' and stage_version = ${settings.version}
            order by user_id`,
      )
    ).map((r) => r.user_id);
  const [change] = await queryRows<{ changed_at: string }>(
    db,
    sql`select changed_at::text as changed_at from rollout.stage_changes where version = ${settings.version}`,
  );
  const fallbackAt = change?.changed_at ?? new Date().toISOString();
  const report: ExportReport = { users: 0, messageIds: 0, paymentIds: 0 };
  for (let i = 0; i < users.length; i += 200) {
    const batch = users.slice(i, i + 200);
    const list = sql.join(
      batch.map((u) => sql`${u}`),
      sql`, `,
    );
    const conversations = await queryRows<NewConversationRow>(
      db,
      sql`select user_id, state, language, data from messaging.conversations where user_id in (${list})`,
    );
    // Only what this system handled: messages before the fallback (later ones were forwarded and the
    // old app must still answer them) and payments it applied (forwarded ones the old app applies).
    const messageIds = await queryRows<{ wamid: string; day: string }>(
      db,
      sql`select wamid, received_at::date::text as day from messaging.inbound_messages
          where user_id in (${list}) and received_at < ${fallbackAt}::timestamptz`,
    );
    const paymentIds = await queryRows<{ id: string; day: string }>(
      db,
      sql`select provider_payment_id as id, received_at::date::text as day from payments.payments
          where provider = 'sumit' and status = 'applied' and user_id in (${list})`,
    );
    // Payments forwarded since the fallback that the old app already applied are in its credits,
    // which this export overwrites: they are added back. Those not arrived yet it adds itself.
    const forwarded = await queryRows<{ user_id: string; id: string }>(
      db,
      sql`select user_id, provider_payment_id as id from payments.payments
          where provider = 'sumit' and status = 'forwarded' and user_id in (${list})
            and received_at >= ${fallbackAt}::timestamptz`,
    );
    await oldDb.transaction(async (tx) => {
      const arrived = new Map<string, number>();
      if (forwarded.length > 0) {
        const known = new Set(
          (
            await queryRows<{ id: string }>(
              tx,
              sql`select id from payments where id in (${sql.join(
                forwarded.map((f) => sql`${f.id}`),
                sql`, `,
              )})`,
            )
          ).map((r) => r.id),
        );
        for (const f of forwarded) if (known.has(f.id)) arrived.set(f.user_id, (arrived.get(f.user_id) ?? 0) + 1);
      }
      for (const conversation of conversations) {
        const base = oldRowFromConversation(conversation);
        const row = { ...base, credits: String(Number(base.credits) + (arrived.get(base.phone) ?? 0)) };
        await tx.execute(
          sql`insert into users (phone, state, credits, tuneid, chosen_pack, entity_type, language)
              values (${row.phone}, ${row.state}, ${row.credits}, ${row.tuneid}, ${row.chosen_pack}, ${row.entity_type}, ${row.language})
              on conflict (phone) do update set state = excluded.state, credits = excluded.credits,
                tuneid = excluded.tuneid, chosen_pack = excluded.chosen_pack,
                entity_type = excluded.entity_type, language = excluded.language`,
        );
        report.users++;
      }
      for (const m of messageIds) {
        const added = await queryRows(
          tx,
          sql`insert into msgs (id, date) values (${m.wamid}, ${m.day}::date) on conflict do nothing returning id`,
        );
        report.messageIds += added.length;
      }
      for (const p of paymentIds) {
        const added = await queryRows(
          tx,
          sql`insert into payments (id, date) values (${p.id}, ${p.day}::date) on conflict do nothing returning id`,
        );
        report.paymentIds += added.length;
      }
    });
  }
  return report;
}
