import type { Executor } from '@astria/db';
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
