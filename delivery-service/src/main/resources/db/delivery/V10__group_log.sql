-- The group log: every message a hosted group accepts (application message, proposal, commit) is
-- stored once, numbered by a gap-free per-group sequence, and each local member reads it through a
-- position of its own (group_readers) instead of one queue row per recipient. Welcomes and server
-- events stay in the per-client queues of V1.
--
-- Lock order (V9__lock_order.sql, step 3 "that group's rows"): a send takes its group's row FOR
-- UPDATE first (numbering the message is an update of groups.last_sequence, so the sends of one
-- group take turns and the log has no gap and no race); then group_members, accepted_proposals, and
-- group_readers rows sorted by (group_id, client_uuid) in one statement; then the log row. An Ack
-- locks only its client's group_readers rows, in the same (group_id, client_uuid) order, before its
-- queue_heads row, so acks and commits that add or remove readers cannot wait for each other in a
-- circle.

-- The sequence number of the group's newest message; 0 before the first.
alter table groups add column last_sequence bigint not null default 0 check (last_sequence >= 0);

create table group_log (
  group_id     bytea       not null,
  sequence     bigint      not null check (sequence > 0),
  -- The epoch of the message (from its header).
  epoch        bigint      not null,
  -- The sending client (its queue uuid): it does not read its own messages back.
  sender       uuid        not null,
  -- The MLSMessage as sent.
  message      bytea       not null,
  accepted_at  timestamptz not null,
  -- Drawn from the sequence of queue_bodies ids after the group's lock, like the id of a Welcome
  -- or event body after its queue's lock: a reader's entries of its own queue and of its groups
  -- merge in this order, so a Welcome comes before the messages after the commit it welcomes into.
  ord          bigint      not null default nextval('body_ids'),
  -- True until the notifier has taken this message's notifications; null when there are none to
  -- give (the sender's no_notification). A hand-off lost with its process is made again from it.
  unnotified   boolean,
  primary key (group_id, sequence)
);
-- No foreign key to groups: a deleted group's log stays until its readers have read it (DeleteGroup
-- keeps what was already accepted), then the maintenance pass deletes it.
create index group_log_unnotified on group_log (accepted_at) where unnotified;

-- Where each local member stands in each group's log.
create table group_readers (
  group_id        bytea  not null,
  client_uuid     uuid   not null,
  -- Everything up to here is read and acknowledged, or was accepted before the client joined.
  acked           bigint not null check (acked >= 0),
  -- The message that removed the client (or the last before the group was deleted): it reads up to
  -- here, included, and then the row goes. Null while it is a member.
  until_sequence  bigint check (until_sequence is null or until_sequence >= 0),
  -- The client's serialized homeserver.notifier.v1.NotificationPolicy for this group; null if none.
  policy          bytea,
  primary key (group_id, client_uuid)
) with (fillfactor = 70);  -- acks update it: room for HOT updates
create index group_readers_by_client on group_readers (client_uuid);

-- A client removed and added again before it read all it was sent as a member the first time
-- keeps that: only what was accepted while it was out is not its to read. Each such stretch is a
-- hole, (after, up_to], deleted once the reader's position has passed it.
create table group_reader_holes (
  group_id     bytea  not null,
  client_uuid  uuid   not null,
  after        bigint not null,
  up_to        bigint not null check (up_to > after),
  primary key (group_id, client_uuid, after)
);

-- Every member today is a client of this homeserver (federation comes later): each gets a reader
-- at the start of the log, which is empty. Its earlier messages stay in its queue.
insert into group_readers (group_id, client_uuid, acked, policy)
select m.group_id, cast(split_part(m.client_id, '/', 6) as uuid), 0, p.policy
from group_members m
left join group_notification_policies p on p.group_id = m.group_id and p.client_id = m.client_id
where m.client_id ~ '^mimi://[^/]+/c/[^/]+/[0-9a-f-]{36}$'
  and not exists (select 1 from purged_clients pc where pc.client_id = m.client_id);

drop table group_notification_policies;

comment on table group_readers is
  'Lock order (V10__group_log.sql): after the groups row; several rows only in one statement sorted by (group_id, client_uuid); before queue_heads.';
