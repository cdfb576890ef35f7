import { type Executor, queryRows, rollout } from '@astria/db';
import { eq, sql } from 'drizzle-orm';
import type { Owner, StageSettings } from './owner.js';
import { readStage } from './stage-store.js';

const { rolloutOwners, rolloutSuppressedEffects } = rollout;

/** Event types whose publication has an effect outside our tables: a WhatsApp send, an Astria request. */
export const EXTERNAL_EFFECT_TYPES: ReadonlySet<string> = new Set(['whatsapp_send_requested', 'training_requested']);

/** What started a turn: Astria's outcomes of a tune this system made keep being delivered at fallback. */
const OWN_TUNE_OUTCOMES: ReadonlySet<string> = new Set(['tune_created', 'images_generated', 'training_failed']);

async function recordedOwner(db: Executor, userId: string): Promise<Owner | undefined> {
  const [row] = await db
    .select({ owner: rolloutOwners.owner })
    .from(rolloutOwners)
    .where(eq(rolloutOwners.userId, userId));
  return row?.owner as Owner | undefined;
}

/**
 * Does this system keep a turn's external effects to itself? Yes for every user at shadow (the old app
 * answers; this system only runs alongside), and at canary or full for a user it does not serve. At
 * fallback the outcomes of tunes this system made are still delivered (Astria calls this system back),
 * everything else is suppressed.
 */
export async function effectsSuppressed(
  db: Executor,
  settings: StageSettings,
  userId: string,
  inputKind: string,
): Promise<boolean> {
  if (settings.stage === 'shadow') return true;
  if (settings.stage === 'fallback') return !OWN_TUNE_OUTCOMES.has(inputKind);
  return (await recordedOwner(db, userId)) !== 'new' && !OWN_TUNE_OUTCOMES.has(inputKind);
}

export interface SuppressedEffect {
  readonly type: string;
  readonly data: unknown;
}

/** Records effects kept back (in the turn's transaction), for `pnpm rollout shadow-report`. */
export async function recordSuppressed(
  tx: Executor,
  settings: StageSettings,
  userId: string,
  effects: readonly SuppressedEffect[],
  correlationId: string | null,
): Promise<void> {
  if (effects.length === 0) return;
  await tx.insert(rolloutSuppressedEffects).values(
    effects.map((effect) => ({
      userId,
      type: effect.type,
      data: effect.data,
      correlationId,
      stage: settings.stage,
      stageVersion: settings.version,
    })),
  );
}

/**
 * Which system a payment of this user goes to, decided in the payment's transaction: payments follow
 * the recorded owner and never move a user (a user the rollout has not routed yet is recorded as the
 * old app's). The owner row is locked until the payment commits, so a concurrent move to this system
 * either comes first (the payment is applied here) or finds the forwarded payment and counts it in
 * its first-touch import. Shadow and fallback (read fresh from the row): the old app.
 */
export async function lockPaymentOwner(
  tx: Executor,
  userId: string,
): Promise<{ owner: Owner; settings: StageSettings }> {
  const settings = await readStage(tx);
  if (settings.stage === 'shadow' || settings.stage === 'fallback') return { owner: 'old', settings };
  await tx.execute(
    sql`insert into rollout.owners (user_id, owner, reason, stage_version)
        values (${userId}, 'old', 'payment', ${settings.version}) on conflict (user_id) do nothing`,
  );
  const rows = await queryRows<{ owner: string }>(
    tx,
    sql`select owner from rollout.owners where user_id = ${userId} for update`,
  );
  return { owner: rows[0]?.owner === 'new' ? 'new' : 'old', settings };
}
