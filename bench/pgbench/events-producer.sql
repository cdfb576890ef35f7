-- The producer of `pnpm bench:events`' fixed-rate phase (run with pgbench -R: the load generator in its own
-- process, and a cheap one): one user_message_received committed to the message service's outbox per
-- transaction, its envelope built here as outbox.add builds it, with the NOTIFY that wakes the relay.
-- No colon may appear in the statement but before a variable name (pgbench reads a colon and a name as a
-- variable, in comments and literals too). occurredAt is the clock at the insert (the commit follows at once): the bench measures occurredAt → handled.
\set key random(0, 499)
BEGIN;
WITH e AS (
  SELECT gen_random_uuid() AS id,
         to_json(clock_timestamp()) #>> '{}' AS at -- ISO 8601
), added AS (
  INSERT INTO messaging.outbox (event_id, type, key, envelope)
  SELECT e.id, 'user_message_received', 'u' || (:key)::int,
         jsonb_build_object(
           'id', e.id, 'type', 'user_message_received', 'v', 1, 'occurredAt', e.at,
           'source', 'message-service', 'key', 'u' || (:key)::int, 'correlationId', e.id::text,
           'data', jsonb_build_object('userId', 'u' || (:key)::int, 'messageId', 'wamid.pgbench.' || e.id,
                                      'receivedAt', e.at, 'type', 'text', 'text', (:key)::int::text))
    FROM e
  RETURNING 1
)
SELECT pg_notify((:channel)::text, '') FROM added;
COMMIT;
