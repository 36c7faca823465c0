-- The directory: users' profiles, and the links between two users (a pending request or a
-- connection) and blocks. Users themselves live in the auth schema; ids here are the canonical
-- `mimi://<domain>/u/<handle>` of any domain.

create table profiles (
  user_id       text        primary key,
  display_name  text        not null,
  updated_at    timestamptz not null
);

-- A request from `requester` to `target`, or, once accepted, their connection. A pair of users has
-- at most one link whichever way it was asked (the unique index on the unordered pair).
create table links (
  requester     text        not null,
  target        text        not null,
  -- Null while the request is pending.
  connected_at  timestamptz,
  -- The requester's one claim of the target's KeyPackages under a pending request.
  claim_right   boolean     not null,
  created_at    timestamptz not null,
  primary key (requester, target),
  check (requester <> target)
);
create unique index links_pair on links (least(requester, target), greatest(requester, target));
create index links_by_target on links (target);

create table blocks (
  blocker     text        not null,
  blocked     text        not null,
  created_at  timestamptz not null,
  primary key (blocker, blocked)
);
create index blocks_by_blocked on blocks (blocked);
