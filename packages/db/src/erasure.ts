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

/** A run of 7–15 digits (a phone number inside a request id or a free text) or a business-scoped id (`US.…`). */
const USER_ID_INSIDE = '(US\\.[A-Za-z0-9_-]+|[0-9]{7,15})';

/** The tokens of a text value that may be a user id (`token`): the value itself and every user id inside it. */
function textTokens(value: SQL): SQL {
  return sql`select ${value} as token where ${value} is not null
             union all select m[1] from regexp_matches(${value}, ${sql.raw(`'${USER_ID_INSIDE}'`)}, 'g') m`;
}

/** The tokens of every string anywhere inside a JSON document (`token`). */
function jsonTokens(document: SQL): SQL {
  return sql`select x.token from jsonb_path_query(${document}::jsonb, 'strict $.**') v
               cross join lateral (${textTokens(sql`(v #>> '{}')`)}) x
              where jsonb_typeof(v) = 'string'`;
}

/**
 * A text value is the user's id, or holds it: a run of 7–15 digits (a phone number inside a request
 * id or a free text) or a business-scoped id (`US.…`). Null values hold nothing.
 */
export function textHoldsUser(value: SQL, userHash: string): SQL {
  return sql`(${value} is not null and exists (
    select 1 from (${textTokens(value)}) t where ${sha256Hex(sql`t.token`)} = ${userHash}))`;
}

/** Any string anywhere inside a JSON document holds the user (as `textHoldsUser`). */
export function jsonHoldsUser(document: SQL, userHash: string): SQL {
  return sql`(${document} is not null and exists (
    select 1 from (${jsonTokens(document)}) t where ${sha256Hex(sql`t.token`)} = ${userHash}))`;
}

/**
 * The hashes (`h`, as `userHashOf`) of every token of a row's text and JSON columns that may be a user id,
 * as a set to join laterally: a check for many users hashes each row once instead of once per user.
 */
export function rowUserHashes(columns: { text: readonly SQL[]; json: readonly SQL[] }): SQL {
  const parts = [...columns.text.map(textTokens), ...columns.json.map(jsonTokens)];
  if (parts.length === 0) return sql`select null::text as h where false`;
  return sql`select ${sha256Hex(sql`t.token`)} as h from (${sql.join(
    parts.map((part) => sql`(${part})`),
    sql` union all `,
  )}) t`;
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
