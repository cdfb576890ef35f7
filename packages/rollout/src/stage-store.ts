import { type Executor, rollout } from '@astria/db';
import { eq, sql } from 'drizzle-orm';
import { STAGES, type Stage, type StageSettings } from './owner.js';

const { rolloutOwners, rolloutStage, rolloutStageChanges } = rollout;

/** Reads the one stage row (the migration creates it). */
export async function readStage(db: Executor): Promise<StageSettings> {
  const [row] = await db.select().from(rolloutStage).where(eq(rolloutStage.id, 1));
  if (!row) throw new Error('rollout.stage has no row: run the migrations');
  if (!(STAGES as readonly string[]).includes(row.stage)) throw new Error(`unknown stage ${row.stage}`);
  return {
    stage: row.stage as Stage,
    percent: row.percent,
    allow: row.allow,
    deny: row.deny,
    version: row.version,
  };
}

export interface StageChange {
  readonly stage?: Stage | undefined;
  readonly percent?: number | undefined;
  readonly allow?: readonly string[] | undefined;
  readonly deny?: readonly string[] | undefined;
}

/** What `set` would make of the current settings; throws on a change that makes no sense. */
export function applyChange(current: StageSettings, change: StageChange): Omit<StageSettings, 'version'> {
  const stage = change.stage ?? current.stage;
  const percent = change.percent ?? (stage === 'full' ? 100 : stage === 'canary' ? current.percent : 0);
  if (!Number.isInteger(percent) || percent < 0 || percent > 100) throw new Error('--percent must be 0–100');
  if (change.percent !== undefined && stage !== 'canary') throw new Error('--percent only applies to the canary stage');
  return {
    stage,
    percent: stage === 'full' ? 100 : stage === 'canary' ? percent : 0,
    allow: [...(change.allow ?? current.allow)],
    deny: [...(change.deny ?? current.deny)],
  };
}

/**
 * Changes the stage in one transaction: the row (version + 1), its change record (who, when, from,
 * to), and at fallback every user handed back to the old app (so a later canary starts afresh from
 * the hash, with the users the fallback export wrote back).
 */
export async function setStage(db: Executor, change: StageChange, changedBy: string): Promise<StageSettings> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select 1 from rollout.stage where id = 1 for update`);
    const current = await readStage(tx);
    const next = applyChange(current, change);
    const version = current.version + 1;
    await tx
      .update(rolloutStage)
      .set({
        ...next,
        allow: [...next.allow],
        deny: [...next.deny],
        version,
        updatedBy: changedBy,
        updatedAt: new Date(),
      })
      .where(eq(rolloutStage.id, 1));
    const { version: _from, ...from } = current;
    await tx.insert(rolloutStageChanges).values({ version, changedBy, from, to: next });
    if (next.stage === 'fallback') {
      await tx
        .update(rolloutOwners)
        .set({ owner: 'old', reason: 'fallback', stageVersion: version, assignedAt: new Date() })
        .where(eq(rolloutOwners.owner, 'new'));
    }
    return { ...next, version };
  });
}

export interface StageChangeRecord {
  readonly version: number;
  readonly changedBy: string;
  readonly changedAt: Date;
  readonly from: unknown;
  readonly to: unknown;
}

export async function stageHistory(db: Executor, limit = 10): Promise<StageChangeRecord[]> {
  return db
    .select({
      version: rolloutStageChanges.version,
      changedBy: rolloutStageChanges.changedBy,
      changedAt: rolloutStageChanges.changedAt,
      from: rolloutStageChanges.from,
      to: rolloutStageChanges.to,
    })
    .from(rolloutStageChanges)
    .orderBy(sql`${rolloutStageChanges.id} desc`)
    .limit(limit);
}

export async function ownerCounts(db: Executor): Promise<Record<'new' | 'old', number>> {
  const rows = await db
    .select({ owner: rolloutOwners.owner, n: sql<number>`count(*)::int` })
    .from(rolloutOwners)
    .groupBy(rolloutOwners.owner);
  const counts = { new: 0, old: 0 };
  for (const row of rows) if (row.owner === 'new' || row.owner === 'old') counts[row.owner] = Number(row.n);
  return counts;
}

export interface StageReaderOptions {
  /** How long a pod trusts its copy before reading the row again. */
  readonly ttlMs: number;
  /** Called when a pod first sees a stage version (log it: all pods should report the same). */
  readonly onVersion?: (settings: StageSettings) => void;
  readonly now?: () => number;
}

export interface StageReader {
  /** The stage, at most `ttlMs` old. Concurrent callers share one read. */
  current(): Promise<StageSettings>;
}

/** A per-pod cached view of the stage: every pod follows a change within `ttlMs`, with no redeploy. */
export function createStageReader(db: Executor, { ttlMs, onVersion, now = Date.now }: StageReaderOptions): StageReader {
  let cached: { settings: StageSettings; readAt: number } | undefined;
  let pending: Promise<StageSettings> | undefined;
  return {
    async current() {
      if (cached && now() - cached.readAt < ttlMs) return cached.settings;
      pending ??= readStage(db)
        .then((settings) => {
          if (cached?.settings.version !== settings.version) onVersion?.(settings);
          cached = { settings, readAt: now() };
          return settings;
        })
        .finally(() => {
          pending = undefined;
        });
      return pending;
    },
  };
}

/** The reader every service uses: each new stage version is logged (`move-over stage read`), so pods can be compared. */
export function createLoggedStageReader(
  db: Executor,
  ttlMs: number,
  log: { info(fields: Record<string, unknown>, message: string): void },
): StageReader {
  return createStageReader(db, {
    ttlMs,
    onVersion: (settings) =>
      log.info(
        { rolloutStage: settings.stage, rolloutPercent: settings.percent, rolloutVersion: settings.version },
        'move-over stage read',
      ),
  });
}
