import { type Executor, queryRows } from '@astria/db';
import { sql } from 'drizzle-orm';
import { oldRowFromConversation } from './migrate-to-monolith.js';
import { type OldUser, oldCredits } from './monolith-import.js';

export interface ShadowDivergence {
  readonly userId: string;
  /** Field → [what this system reached, what the old app has]. */
  readonly fields: Record<string, [unknown, unknown]>;
  /** Replies this system would have sent (suppressed), and the last one's text, if any. */
  readonly replies: number;
  readonly lastReply: string | null;
}

export interface ShadowReport {
  /** Users compared: every conversation of a user this system does not serve. */
  readonly users: number;
  readonly matching: number;
  readonly divergences: ShadowDivergence[];
  /** Effects kept back, by event type. */
  readonly suppressed: Record<string, number>;
}

type ConversationRow = { user_id: string; state: string; language: string; data: unknown };

function replyText(data: unknown): string | null {
  const message = (typeof data === 'string' ? JSON.parse(data) : data) as { message?: Record<string, unknown> };
  const m = message?.message;
  if (!m) return null;
  const text = m.body ?? m.caption ?? m.name ?? m.kind;
  return typeof text === 'string' ? text.slice(0, 80) : null;
}

/**
 * `pnpm rollout shadow-report`: per user this system ran beside the old app (shadow), the state it
 * reached, in the old app's terms (state 0–3, language, has credits, has a tune), against the old
 * app's own row (read-only), with the replies it would have sent. A divergence names the fields.
 */
export async function shadowReport(db: Executor, oldDb: Executor): Promise<ShadowReport> {
  const conversations = await queryRows<ConversationRow>(
    db,
    sql`select c.user_id, c.state, c.language, c.data from messaging.conversations c
        where not exists (select 1 from rollout.owners o where o.user_id = c.user_id and o.owner = 'new')
        order by c.user_id`,
  );
  const suppressedRows = await queryRows<{ type: string; n: number }>(
    db,
    sql`select type, count(*)::int as n from rollout.suppressed_effects group by type order by type`,
  );
  const suppressed = Object.fromEntries(suppressedRows.map((r) => [r.type, Number(r.n)]));
  const divergences: ShadowDivergence[] = [];
  for (let i = 0; i < conversations.length; i += 200) {
    const batch = conversations.slice(i, i + 200);
    const list = sql.join(
      batch.map((c) => sql`${c.user_id}`),
      sql`, `,
    );
    const olds = new Map(
      (
        await queryRows<OldUser>(
          oldDb,
          sql`select phone, state, credits, tuneid, chosen_pack, entity_type, language from users where phone in (${list})`,
        )
      ).map((u) => [u.phone, u]),
    );
    const replies = new Map<string, { n: number; last: string | null }>();
    for (const row of await queryRows<{ user_id: string; n: number; last: unknown }>(
      db,
      sql`select user_id, count(*)::int as n, (array_agg(data order by id desc))[1] as last
          from rollout.suppressed_effects where type = 'whatsapp_send_requested' and user_id in (${list})
          group by user_id`,
    )) {
      replies.set(row.user_id, { n: Number(row.n), last: replyText(row.last) });
    }
    for (const conversation of batch) {
      const mine = oldRowFromConversation(conversation);
      const theirs = olds.get(conversation.user_id);
      const fields: Record<string, [unknown, unknown]> = {};
      if (!theirs) fields.user = ['present', 'missing'];
      else {
        if (mine.state !== (theirs.state ?? 0)) fields.state = [mine.state, theirs.state];
        if (mine.language !== (theirs.language ?? 0)) fields.language = [mine.language, theirs.language];
        const myCredits = mine.credits !== '0';
        if (myCredits !== oldCredits(theirs) > 0) fields.credits = [myCredits, oldCredits(theirs) > 0];
        const myTune = mine.tuneid !== null;
        const theirTune = Boolean((theirs.tuneid ?? '').trim());
        if (myTune !== theirTune) fields.tune = [myTune, theirTune];
      }
      if (Object.keys(fields).length > 0) {
        const r = replies.get(conversation.user_id);
        divergences.push({ userId: conversation.user_id, fields, replies: r?.n ?? 0, lastReply: r?.last ?? null });
      }
    }
  }
  return {
    users: conversations.length,
    matching: conversations.length - divergences.length,
    divergences,
    suppressed,
  };
}

/** The report as the CLI prints it (user ids masked but for the last four digits). */
export function formatShadowReport(report: ShadowReport): string[] {
  const mask = (id: string) => (id.length > 4 ? `…${id.slice(-4)}` : id);
  const lines = [
    `users compared ${report.users}: matching ${report.matching}, divergent ${report.divergences.length}`,
    `effects kept back: ${
      Object.entries(report.suppressed)
        .map(([type, n]) => `${type} ${n}`)
        .join(', ') || 'none'
    }`,
  ];
  for (const d of report.divergences) {
    const fields = Object.entries(d.fields)
      .map(([name, [mine, theirs]]) => `${name} new=${JSON.stringify(mine)} old=${JSON.stringify(theirs)}`)
      .join('; ');
    lines.push(
      `  ${mask(d.userId)}: ${fields}; would have replied ${d.replies}×${d.lastReply ? ` (last: ${d.lastReply})` : ''}`,
    );
  }
  lines.push(`divergences: ${report.divergences.length}`);
  return lines;
}
