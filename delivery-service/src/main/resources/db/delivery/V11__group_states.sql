-- Each hosted group's public MLS state (RFC 9420: ratchet tree, GroupContext, interim transcript
-- hash, proposals accepted in the epoch), in org.homeserver.mls.group.StoredGroupState's split form:
-- a head of everything but the tree's nodes, and each non-blank node in a row of its own, so that a
-- commit rewrites the head and the nodes it changed (its path, its adds), not the whole tree. Set
-- by CreateGroup, changed by every accepted proposal and commit, under the groups row lock.
-- `version` is random on each write, so a cached copy is used only when it is the one stored, and a
-- copy cached by a transaction that rolled back never matches.
--
-- The proposals of the epoch now live in the state: accepted_proposals goes. Groups created before
-- this migration have no state; their proposals and commits are refused (GROUP_RULE_UNSUPPORTED)
-- until they are created again.

create table group_states (
  group_id  bytea   primary key references groups on delete cascade,
  version   bigint  not null,
  head      bytea   not null
);

create table group_state_nodes (
  group_id    bytea    not null references group_states on delete cascade,
  -- The node's index in the tree (RFC 9420 section 4: leaf i is node 2i).
  node_index  integer  not null check (node_index >= 0),
  node        bytea    not null,
  primary key (group_id, node_index)
);

drop table accepted_proposals;
