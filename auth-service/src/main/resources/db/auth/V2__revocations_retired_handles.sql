-- Revocations outlive restarts: each process reloads them from here (AuthInternalService.ListRevocations).
create table revocations (
  subject        text primary key,      -- a user uuid or a client uuid
  revoked_up_to  timestamptz not null,  -- tokens issued at or before this are refused
  expires_at     timestamptz not null   -- after this no token it could refuse is still valid
);
create index revocations_by_expiry on revocations (expires_at);

-- Handles of deleted users are held back, so nobody else can take over a name whose credentials
-- other members may still trust.
create table retired_handles (
  handle      text primary key,
  retired_at  timestamptz not null,
  held_until  timestamptz not null
);
