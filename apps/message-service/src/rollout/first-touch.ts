import { type Database, type Executor, queryRows } from '@astria/db';
import type { Outbox } from '@astria/events';
import { importAtFirstTouch, type StageSettings } from '@astria/rollout';
import { sql } from 'drizzle-orm';
import { lockConversation, saveConversation } from '../store.js';

const RESEND_PHOTOS = {
  en: 'Welcome back! We moved to a new system and could not keep the photos you sent earlier. Please send your photos again.',
  he: 'ברוכים השבים! עברנו למערכת חדשה ולא יכולנו לשמור את התמונות ששלחת קודם. נא לשלוח את התמונות שוב.',
} as const;

/**
 * What happens in the transaction that moves a user to this system: with the old app's database
 * configured, the user is imported as the old app left them; a user who was uploading photos there
 * (their media ids may have expired) is asked once to send them again.
 */
export function onMoveToNewSystem(outbox: Outbox, oldDb: Database | null) {
  return async (tx: Executor, userId: string, _settings: StageSettings): Promise<void> => {
    if (oldDb) await importAtFirstTouch(tx, oldDb.db, userId);
    const pending = await queryRows(
      tx,
      sql`select 1 as pending from messaging.conversations where user_id = ${userId}
          and jsonb_array_length(coalesce(data->'rerequestPhotos', '[]'::jsonb)) > 0`,
    );
    if (pending.length === 0) return;
    const conversation = await lockConversation(tx, userId);
    const { rerequestPhotos: _asked, ...rest } = conversation as typeof conversation & { rerequestPhotos?: unknown };
    await saveConversation(tx, rest);
    await outbox.add(
      tx,
      'whatsapp_send_requested',
      { to: userId, message: { kind: 'text', body: RESEND_PHOTOS[conversation.language] } },
      { key: userId, correlationId: `move:${userId}` },
    );
  };
}
