import { type SQL, sql } from 'drizzle-orm';
import { type Executor, queryRows } from './client.js';

/**
 * SQL to find an erased user's data when only the SHA-256 (hex) of the user id is known (the
 * `user_data_erased` event and the erasure audit row carry nothing else). Shared by every service's
 * erasure and by the maintenance check, so they agree on what "the user's data" is.
 */

/** The SHA-256 (hex) of a text value, as `userHashOf` in @astria/events computes it. */
export function sha256Hex(value: SQL): SQL {
  return sql`encode(sha256(convert_to(${value}, 'UTF8')), 'hex')`;
}

/**
 * A text value is the user's id, or holds it: a run of 7–15 digits (a phone number inside a request
 * id or a free text) or a business-scoped id (`US.…`). Null values hold nothing.
 */
export function textHoldsUser(value: SQL, userHash: string): SQL {
  return sql`(${value} is not null and exists (
    select 1 from (select ${value} as token
                   union all select m[1] from regexp_matches(${value}, '(US\\.[A-Za-z0-9_-]+|[0-9]{7,15})', 'g') m) t
     where ${sha256Hex(sql`t.token`)} = ${userHash}))`;
}

/** Any string anywhere inside a JSON document holds the user (as `textHoldsUser`). */
export function jsonHoldsUser(document: SQL, userHash: string): SQL {
  return sql`(${document} is not null and exists (
    select 1 from jsonb_path_query(${document}::jsonb, 'strict $.**') v
     where jsonb_typeof(v) = 'string' and ${textHoldsUser(sql`(v #>> '{}')`, userHash)}))`;
}

/**
 * Runs a `delete` or `update` statement (without `returning`) and answers how many rows it touched,
 * as each erasure reports per table.
 */
export async function countAffected(executor: Executor, statement: SQL): Promise<number> {
  const rows = await queryRows<{ n: number | string }>(
    executor,
    sql`with d as (${statement} returning 1) select count(*) as n from d`,
  );
  return Number(rows[0]?.n ?? 0);
}
