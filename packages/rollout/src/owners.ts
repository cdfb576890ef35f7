import { type Executor, rollout } from '@astria/db';
import { eq, sql } from 'drizzle-orm';
import { decideOwner, type Owner, type OwnerDecision, type StageSettings } from './owner.js';

const { rolloutOwners } = rollout;

export interface ResolveOwnerOptions {
  /** Asked only when it can matter: does the old app have this user paid with the tune not delivered? */
  readonly midTrainingInOldApp?: (userId: string) => Promise<boolean>;
}

/**
 * The owner of a user now, recorded in `rollout.owners`: a move to the new system is written once
 * and then sticks; an `old` row only counts users for `status`. Safe under concurrent calls.
 */
export async function resolveOwner(
  db: Executor,
  settings: StageSettings,
  userId: string,
  options: ResolveOwnerOptions = {},
): Promise<OwnerDecision> {
  const [row] = await db
    .select({ owner: rolloutOwners.owner })
    .from(rolloutOwners)
    .where(eq(rolloutOwners.userId, userId));
  const assigned = row?.owner as Owner | undefined;
  const routed = settings.stage === 'canary' || settings.stage === 'full';
  const midTraining =
    routed && assigned !== 'new' && options.midTrainingInOldApp ? await options.midTrainingInOldApp(userId) : false;
  const decision = decideOwner({ userId, settings, assigned, midTrainingInOldApp: midTraining });
  if (decision.owner === 'new' && assigned !== 'new') {
    const [won] = await db
      .insert(rolloutOwners)
      .values({ userId, owner: 'new', reason: decision.reason, stageVersion: settings.version })
      .onConflictDoUpdate({
        target: rolloutOwners.userId,
        set: { owner: 'new', reason: decision.reason, stageVersion: settings.version, assignedAt: sql`now()` },
        where: sql`${rolloutOwners.owner} = 'old'`,
      })
      .returning({ owner: rolloutOwners.owner });
    // Another pod moved them first: same outcome.
    if (!won) return { owner: 'new', reason: 'sticky' };
  } else if (decision.owner === 'old' && !assigned) {
    await db
      .insert(rolloutOwners)
      .values({ userId, owner: 'old', reason: decision.reason, stageVersion: settings.version })
      .onConflictDoNothing();
  }
  return decision;
}
