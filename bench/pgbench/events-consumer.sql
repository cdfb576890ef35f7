-- The minimal SQL a consumer runs per event, one transaction per event (the pgbench ceiling of
-- `pnpm bench:events`): the idempotent inbox insert (the image service, the bench's consumer) and the handler's one-row update.
-- The bench creates public.bench_counters (500 keys) before running it.
\set key random(0, 499)
BEGIN;
INSERT INTO imaging.inbox (subscription, event_id) VALUES ('image-service.user_message_received', gen_random_uuid())
  ON CONFLICT DO NOTHING;
UPDATE public.bench_counters SET n = n + 1 WHERE id = :key;
COMMIT;
