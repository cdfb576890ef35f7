import { type Database, maintenance, queryRows } from '@astria/db';
import { and, desc, eq, sql } from 'drizzle-orm';

export type MaintenanceCommand = 'cleanup' | 'reconcile';
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'abandoned';

/** The run history (maintenance.runs): one row per run, written at its start and its end. */
export function createRunHistory(database: Database) {
  const runs = maintenance.maintenanceRuns;
  return {
    /**
     * Records a run's start. Called under the command's lock, so a `running` row of the same command
     * left behind is a run whose process died: it is marked `abandoned`.
     */
    async start(command: MaintenanceCommand, dryRun: boolean, startedAt: Date): Promise<number> {
      await database.db
        .update(runs)
        .set({ status: 'abandoned', finishedAt: startedAt })
        .where(and(eq(runs.command, command), eq(runs.status, 'running')));
      const [row] = await database.db
        .insert(runs)
        .values({ command, dryRun, status: 'running', startedAt })
        .returning({ id: runs.id });
      if (!row) throw new Error('run history insert returned nothing');
      return row.id;
    },
    async finish(id: number, status: 'succeeded' | 'failed', summary: unknown): Promise<void> {
      await database.db.update(runs).set({ status, finishedAt: new Date(), summary }).where(eq(runs.id, id));
    },
    /** When each command last succeeded for real (dry runs excluded), in epoch seconds. */
    async lastSuccess(): Promise<Partial<Record<MaintenanceCommand, number>>> {
      const rows = await queryRows<{ command: string; at: string | number | null }>(
        database.db,
        sql`select command, extract(epoch from max(finished_at)) as at from maintenance.runs
            where status = 'succeeded' and not dry_run group by command`,
      );
      const out: Partial<Record<MaintenanceCommand, number>> = {};
      for (const row of rows) {
        if (row.at !== null) out[row.command as MaintenanceCommand] = Number(row.at);
      }
      return out;
    },
    async recent(limit: number) {
      return database.db
        .select({
          id: runs.id,
          command: runs.command,
          dryRun: runs.dryRun,
          status: runs.status,
          startedAt: runs.startedAt,
          finishedAt: runs.finishedAt,
          summary: runs.summary,
        })
        .from(runs)
        .orderBy(desc(runs.startedAt), desc(runs.id))
        .limit(limit);
    },
  };
}

export type RunHistory = ReturnType<typeof createRunHistory>;
