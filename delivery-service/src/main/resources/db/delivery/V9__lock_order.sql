-- The one lock order of the delivery schema, replacing the partial statements in V1, V2 and V3.
-- Every transaction and every multi-row statement takes its locks in this order, and rows of one
-- table in one statement sorted by key, so no two of them can wait for each other in a circle:
--
--   1. idempotency_records   the caller's own record (Send, CreateGroup claim theirs first; a
--                            purge deletes the purged client's records first)
--   2. groups                one group per Send (FOR UPDATE by a commit or DeleteGroup, FOR SHARE
--                            by a proposal or an application message); several, sorted by
--                            group_id, FOR UPDATE by a purge
--   3. that group's rows     group_members, accepted_proposals, group_notification_policies
--   4. queue_heads           all rows one transaction needs in one statement sorted by
--                            client_uuid (a send's recipients, a purge's client, the notifier's
--                            marks, an ack's own head); a retention pass skips locked ones
--   5. queue_entries         only of heads this transaction holds
--   6. body_releases         appended, never locked; queue_bodies changed only by the sweep,
--                            one at a time under an advisory lock
--   7. listen_generations    one row by Listen starts and ends and purges; renewals sorted by
--                            client_uuid
--
-- QueueConcurrencyTest runs every one of these paths at once and checks that PostgreSQL counted
-- no deadlock. The comments below keep the rule next to the tables themselves.
comment on table queue_heads is
  'Lock order (V9__lock_order.sql): idempotency_records, groups (sorted), group rows, queue_heads sorted by client_uuid in one statement, queue_entries, listen_generations.';
comment on table groups is
  'Lock order (V9__lock_order.sql): after the caller''s idempotency record, before queue_heads; several groups only sorted by group_id.';
comment on table listen_generations is
  'Lock order (V9__lock_order.sql): last; several rows only sorted by client_uuid.';
