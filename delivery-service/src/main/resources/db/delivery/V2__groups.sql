-- The groups this homeserver hosts: each group's epoch, its member map (leaf index -> client id)
-- and the proposals accepted in the current epoch, which commits may name by reference.
--
-- Lock order: a groups row first (FOR UPDATE by a commit, FOR SHARE by a proposal), then that
-- group's other rows, then the queue rows of V1 in their own order. The groups row lock is what
-- orders commits: of two commits for the same epoch the second waits, then sees the new epoch.

create table groups (
  -- The MLS group_id, chosen by the creator: 1 to 256 bytes.
  group_id      bytea       primary key check (octet_length(group_id) between 1 and 256),
  -- The RFC 9420 CipherSuite code point.
  cipher_suite  integer     not null check (cipher_suite between 0 and 65535),
  -- Starts at 0; each accepted commit adds one.
  epoch         bigint      not null check (epoch >= 0),
  created_at    timestamptz not null
);

-- The occupied leaves; blank leaves have no row. Rewritten by each commit.
create table group_members (
  group_id    bytea   not null references groups on delete cascade,
  leaf_index  bigint  not null check (leaf_index >= 0),
  client_id   text    not null,
  primary key (group_id, leaf_index),
  unique (group_id, client_id)
);

-- Proposals accepted in the group's current epoch (the only ones a commit may reference); a
-- commit deletes the group's rows when it advances the epoch.
create table accepted_proposals (
  group_id      bytea   not null references groups on delete cascade,
  epoch         bigint  not null,
  -- The ProposalRef (RFC 9420 section 5.2) the commit names.
  proposal_ref  bytea   not null,
  -- The proposal as accepted (serialized Proposal or the MLSMessage carrying it).
  proposal      bytea   not null,
  sender_leaf   bigint  not null,
  primary key (group_id, proposal_ref)
);
