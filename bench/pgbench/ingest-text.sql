-- The minimal SQL of one signed text webhook, one transaction per webhook (the pgbench ceiling of
-- `pnpm bench:ingest`): the de-dup insert, the conversation upsert (returning the state the engine
-- reads) and its update, then one multi-row insert of the 3 outbox rows the turn writes (the
-- user_message_received event and two whatsapp_send_requested replies) with one pg_notify.
-- Unique ids per transaction from :client_id and a random number; 1,000 users.
\set user random(0, 999)
\set n random(1, 1000000000000)
BEGIN;
INSERT INTO messaging.inbound_messages (wamid, user_id, type, sent_at)
  VALUES ('wamid.pgbench.' || :client_id || '.' || :n, '1555' || lpad(:user::text, 6, '0'), 'text', now())
  ON CONFLICT DO NOTHING RETURNING wamid;
INSERT INTO messaging.conversations (user_id, state, language, data, updated_at)
  VALUES ('1555' || lpad(:user::text, 6, '0'), 'collecting_photos', 'en', '{}'::jsonb, now())
  ON CONFLICT (user_id) DO UPDATE SET user_id = excluded.user_id RETURNING state, language, data, version;
UPDATE messaging.conversations
  SET state = 'collecting_photos', data = '{"photos":[],"lastText":"Hi there"}'::jsonb, version = version + 1, updated_at = now()
  WHERE user_id = '1555' || lpad(:user::text, 6, '0');
WITH rows AS (
  INSERT INTO messaging.outbox (event_id, type, key, envelope)
  SELECT gen_random_uuid(), t.type, '1555' || lpad(:user::text, 6, '0'),
         jsonb_build_object('type', t.type, 'data', jsonb_build_object('text', 'Hi there', 'pad', repeat('x', 600)))
  FROM (VALUES ('user_message_received'), ('whatsapp_send_requested'), ('whatsapp_send_requested')) AS t(type)
  RETURNING seq
)
SELECT pg_notify('outbox_messaging', ''), count(*) FROM rows;
COMMIT;
