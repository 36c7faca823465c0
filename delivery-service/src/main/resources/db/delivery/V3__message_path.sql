-- What the message path adds to hosted groups: the GroupInfo of the current epoch (GetGroupInfo,
-- external joins), each member's notification policy for a group, and member lookups by client
-- (group peers, purges).
--
-- Lock order of a Send, extending V1 and V2: the sender's idempotency record, then the groups row
-- (FOR UPDATE by a commit or DeleteGroup, FOR SHARE by a proposal or an application message), then
-- that group's other rows, then queue_heads of every recipient in one sorted statement, then
-- entries and bodies.

-- The MLSMessage-wrapped GroupInfo the last commit bundle (or CreateGroup) supplied for the
-- current epoch; null when it supplied none.
alter table groups add column group_info bytea;

create table group_notification_policies (
  group_id   bytea not null references groups on delete cascade,
  client_id  text  not null,
  -- The serialized homeserver.notifier.v1.NotificationPolicy, defaults filled in.
  policy     bytea not null,
  primary key (group_id, client_id)
);

create index group_members_by_client on group_members (client_id);
