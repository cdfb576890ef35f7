import { type Executor, queryRows } from '@astria/db';
import { sql } from 'drizzle-orm';

/**
 * The old app's tables as they exist in its database (issue #13). States: 0 new, 1 pictures loaded,
 * 2 tune ready, 3 writing feedback. Languages: 0 English, 1 Hebrew. `credits` is text there.
 */
export const OLD_APP_DDL = [
  sql`create table if not exists users (phone text primary key, state int, credits text, tuneid text,
      chosen_pack text, entity_type text, language int)`,
  sql`create table if not exists msgs (id text primary key, date date)`,
  sql`create table if not exists payments (id text primary key, date date)`,
  sql`create table if not exists pictures (phone_number text, path text)`,
  sql`create table if not exists ratings (phone_number text, rating int, date date, feedback text)`,
];

export const OLD_STATE = { new: 0, picturesLoaded: 1, tuneReady: 2, writingFeedback: 3 } as const;

/** Creates the old app's tables (for the fake old app and tests; the real ones already exist). */
export async function createOldAppTables(db: Executor): Promise<void> {
  for (const statement of OLD_APP_DDL) await db.execute(statement);
}

/**
 * "Paid, tune not delivered" in the old app's terms: a tune id recorded while the user is not yet at
 * tune ready (state 0 or 1). Such a user stays with the old app until Astria calls it back. Read-only.
 */
export function oldAppMidTraining(oldDb: Executor): (userId: string) => Promise<boolean> {
  return async (userId) => {
    const rows = await queryRows(
      oldDb,
      sql`select 1 as mid from users where phone = ${userId} and coalesce(tuneid, '') <> ''
          and state in (${OLD_STATE.new}, ${OLD_STATE.picturesLoaded}) limit 1`,
    );
    return rows.length > 0;
  };
}
