import { type Database, queryRows } from '@astria/db';
import { type SQL, sql } from 'drizzle-orm';
import type { RowRule } from './retention.js';

export interface RowCleanupResult {
  /** Rows deleted (or, in a dry run, rows that would be). */
  rows: number;
  /** Delete transactions run (0 in a dry run). */
  batches: number;
  /** Why nothing was done, e.g. the table does not exist here. */
  skipped?: string;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

function identifier(name: string): SQL {
  if (!IDENTIFIER.test(name)) throw new Error(`unexpected identifier ${name}`);
  return sql`${sql.identifier(name)}`;
}

function tableSql(rule: RowRule): SQL {
  return sql`${identifier(rule.schema)}.${identifier(rule.table)}`;
}

/** The rule's condition with `$cutoff` bound as a parameter (column names in it are our own constants). */
export function conditionSql(rule: RowRule): SQL {
  const parts = rule.condition.split('$cutoff');
  const chunks: SQL[] = [];
  parts.forEach((part, i) => {
    if (i > 0) chunks.push(sql`${rule.cutoff.toISOString()}::timestamptz`);
    chunks.push(sql.raw(part));
  });
  return sql.join(chunks, sql``);
}

async function tableExists(database: Database, rule: RowRule): Promise<boolean> {
  const name = `${rule.schema}.${rule.table}`;
  const [row] = await queryRows<{ present: boolean }>(
    database.db,
    sql`select to_regclass(${name}) is not null as present`,
  );
  return row?.present === true;
}

/** How many rows a rule would delete now. */
export async function countPastRetention(database: Database, rule: RowRule): Promise<number> {
  const [row] = await queryRows<{ n: string | number }>(
    database.db,
    sql`select count(*) as n from ${tableSql(rule)} where ${conditionSql(rule)}`,
  );
  return Number(row?.n ?? 0);
}

/**
 * Deletes one batch in its own short transaction: picks up to `batchSize` keys of rows past
 * retention (skipping rows another transaction has locked), deletes them and counts them.
 * A short lock_timeout makes a batch give way rather than queue behind live traffic.
 */
export async function deleteBatch(database: Database, rule: RowRule, batchSize: number): Promise<number> {
  const table = tableSql(rule);
  const keys = sql.join(
    rule.key.map((k) => identifier(k)),
    sql`, `,
  );
  const match = sql.join(
    rule.key.map((k) => sql`t.${identifier(k)} = doomed.${identifier(k)}`),
    sql` and `,
  );
  return database.db.transaction(async (tx) => {
    await tx.execute(sql`set local lock_timeout = '5s'`);
    const [row] = await queryRows<{ n: string | number }>(
      tx,
      sql`with doomed as (
            select ${keys} from ${table} where ${conditionSql(rule)} limit ${batchSize} for update skip locked
          ), gone as (
            delete from ${table} t using doomed where ${match} returning 1
          )
          select count(*) as n from gone`,
    );
    return Number(row?.n ?? 0);
  });
}

export interface RowCleanupOptions {
  dryRun: boolean;
  batchSize: number;
  /** Pause between batches, to leave room for live traffic. */
  pauseMs?: number;
  /** Called after every committed batch (metrics, progress logs). */
  onBatch?: (deleted: number) => void;
  /** Stop between batches when set (shutdown). */
  signal?: AbortSignal;
}

/** Applies one rule: counts (dry run) or deletes in batches until no row past retention is left. */
export async function cleanRows(
  database: Database,
  rule: RowRule,
  options: RowCleanupOptions,
): Promise<RowCleanupResult> {
  if (rule.optional && !(await tableExists(database, rule))) {
    return { rows: 0, batches: 0, skipped: `${rule.schema}.${rule.table} does not exist` };
  }
  if (options.dryRun) return { rows: await countPastRetention(database, rule), batches: 0 };
  let rows = 0;
  let batches = 0;
  for (;;) {
    if (options.signal?.aborted) break;
    const deleted = await deleteBatch(database, rule, options.batchSize);
    batches++;
    rows += deleted;
    if (deleted > 0) options.onBatch?.(deleted);
    if (deleted < options.batchSize) break;
    if (options.pauseMs) await new Promise((r) => setTimeout(r, options.pauseMs));
  }
  return { rows, batches };
}
