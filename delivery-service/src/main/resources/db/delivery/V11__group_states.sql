-- Each hosted group's public MLS state (RFC 9420: ratchet tree, GroupContext, interim transcript
-- hash, proposals accepted in the epoch), as org.homeserver.mls.group.StoredGroupState encodes it.
-- Set by CreateGroup, replaced by every accepted proposal and commit, under the groups row lock.
-- `version` is random on each write, so a cached copy is used only when it is the one stored, and a
-- copy cached by a transaction that rolled back never matches.
--
-- The proposals of the epoch now live in the state: accepted_proposals goes. Groups created before
-- this migration have no state; their proposals and commits are refused (GROUP_RULE_UNSUPPORTED)
-- until they are created again.

create table group_states (
  group_id  bytea   primary key references groups on delete cascade,
  version   bigint  not null,
  state     bytea   not null
);

drop table accepted_proposals;
