-- The delivery service's queues: one ordered queue per client of everything delivered to it
-- (MLS messages, Welcomes, server events), a body stored once however many recipients it has,
-- and the idempotency records that make a retried send store nothing twice.
--
-- Lock order, the same in every transaction, so concurrent sends, acks and purges cannot
-- deadlock: an idempotency record (at most one, its own key), then queue_heads rows in one
-- statement sorted by client uuid, then queue_entries of those clients only, then queue_bodies
-- rows in one statement sorted by id.

-- Bodies take their ids from a plain sequence so one statement can number several new bodies and
-- point entries at them (the gap events of a purge) without relying on the order of RETURNING.
create sequence body_ids;

-- What is delivered, once per send.
create table queue_bodies (
  id          bigint primary key default nextval('body_ids'),
  -- Which QueueEntry content `content` holds: 1 GroupMessage, 2 WelcomeMessage, 3 ServerEvent.
  kind        smallint    not null check (kind between 1 and 3),
  -- The serialized proto. A GroupMessage is stored without notification_policy, which is per
  -- recipient (queue_entries.notification_policy).
  content     bytea       not null,
  -- The group of a message or Welcome, so a QueueGap can name the groups to resynchronise
  -- without parsing what it drops; null for events.
  group_id    bytea,
  -- How many entries still point here. Whoever releases the last one deletes the body, under
  -- this row's lock, in the same transaction (see QueueStore.releaseBodies).
  remaining   integer     not null check (remaining > 0),
  created_at  timestamptz not null
);

-- Per-client sequence allocation. A send locks the heads of all its recipients at once; the row
-- lock makes numbering gap-free under concurrency and serialises each client's sends, acks and
-- drops. A client's live entries are always the contiguous range floor_sequence + 1 ..
-- last_sequence (acks, the cap and retention all remove a prefix), so its entry count is the
-- difference and the cap needs no count(*).
create table queue_heads (
  client_uuid     uuid primary key,
  -- The highest sequence number given out; the first is 1.
  last_sequence   bigint not null,
  -- Every entry at or below this is gone (acknowledged or dropped).
  floor_sequence  bigint not null,
  check (0 <= floor_sequence and floor_sequence <= last_sequence)
) with (fillfactor = 70);  -- updated on every send: room for HOT updates

-- One small row per recipient of a body. No foreign key to queue_bodies: checking it would take a
-- KEY SHARE lock per recipient row on the send path and need an index on body_id for deletes;
-- queue_bodies.remaining keeps the two consistent instead.
create table queue_entries (
  client_uuid          uuid        not null,
  sequence             bigint      not null,
  body_id              bigint      not null,
  -- The recipient's serialized NotificationPolicy for the group of a GroupMessage; null if none.
  notification_policy  bytea,
  received_at          timestamptz not null,
  primary key (client_uuid, sequence)
);

-- The first answer to a request sent under an idempotency key, kept 24 hours (common.proto).
create table idempotency_records (
  sender_client   uuid        not null,
  idempotency_key text        not null,
  -- A digest of the request, to tell a retry from another request reusing the key.
  request_digest  bytea       not null,
  -- The answer, encoded by the operation; null only inside the transaction that claims the key.
  answer          bytea,
  created_at      timestamptz not null,
  primary key (sender_client, idempotency_key)
);
create index idempotency_records_by_age on idempotency_records (created_at);
