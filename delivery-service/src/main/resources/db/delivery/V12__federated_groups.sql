-- Groups whose members live on several homeservers (federation.proto, GROUPS ACROSS DOMAINS).
--
-- At a follower, a group hosted elsewhere has a groups row too, bound to its hub: the hub's
-- numbers in last_sequence and in group_log (only what its clients read), a copy of the hub's
-- member map (group_members), epoch, GroupInfo and ratchet tree, and readers as for a hosted group.
-- It has no public state (group_states) and accepts nothing but what its hub sends.
--
-- Lock order: as V9 and V10; the rows below are the group's own rows, taken after its groups row.

-- Null for a group hosted here; for a followed group, the domain of its hub.
alter table groups add column hub text;
-- A followed group's ratchet tree of its current epoch, as the hub sent it (for external joins).
alter table groups add column ratchet_tree bytea;
-- Whether a hosted group has or had members of other domains (group_domains rows): its accepted
-- messages are then handed to the fan-out. Read with the group's row, so a local group costs nothing.
alter table groups add column federated boolean not null default false;

-- At a hub: the other domains that get a group's messages, which ones, and how far the fan-out
-- has queued them in the federation outbox.
create table group_domains (
  group_id      bytea  not null references groups on delete cascade,
  domain        text   not null,
  -- The domain gets the messages after this one: the commit whose Welcome brought its first client.
  reads_after   bigint not null check (reads_after >= 0),
  -- ...up to this one, included: the commit that removed its last client. Null while it has members.
  reads_until   bigint check (reads_until is null or reads_until > reads_after),
  -- What is the domain's up to here was queued in its outbox lane, or skipped.
  sent_through  bigint not null,
  -- The first message skipped (the policy forbade the domain, or its lane was full); the log keeps
  -- it and what follows until the domain fetched it. Null when nothing was skipped.
  skipped_from  bigint,
  -- The other members were told the policy cut this domain off (GroupFederationChanged).
  blocked       boolean not null default false,
  primary key (group_id, domain)
);

-- At a hub: what a follower gets with a message besides its log entry: the group's state after a
-- commit (a serialized federation GroupState), for every follower domain...
create table fanout_states (
  group_id  bytea  not null references groups on delete cascade,
  sequence  bigint not null,
  state     bytea  not null,
  primary key (group_id, sequence)
);

-- ...and the Welcome of a commit for one domain's clients (a serialized federation
-- DeliverWelcomeRequest without its idempotency key).
create table fanout_welcomes (
  group_id  bytea  not null references groups on delete cascade,
  sequence  bigint not null,
  domain    text   not null,
  welcome   bytea  not null,
  primary key (group_id, sequence, domain)
);

-- At a follower: what came from the hub beyond the next number, kept until what is missing has
-- been fetched (a serialized federation Delivery); at one number, a message (kind 0) comes before
-- a Welcome (kind 1).
create table held_deliveries (
  group_id  bytea    not null references groups on delete cascade,
  sequence  bigint   not null,
  kind      smallint not null,
  delivery  bytea    not null,
  primary key (group_id, sequence, kind)
);

-- group_log.unnotified: true until the notifier has taken the message's notifications, then false;
-- null when the sender asked for none (the fan-out passes that on to followers).
comment on column group_log.unnotified is
  'true: notifications not yet taken; false: taken; null: the sender asked for none (no_notification)';
