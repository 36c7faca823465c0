-- Clients whose user or themselves were deleted. Their leaves stay in member maps until a member
-- commits their removal (only a commit changes an MLS tree), but nothing is queued for them any
-- more, and a group whose every leaf is purged is deleted.
create table purged_clients (
  client_id  text        primary key,
  purged_at  timestamptz not null
);
