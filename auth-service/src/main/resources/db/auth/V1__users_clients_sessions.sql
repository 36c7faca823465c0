-- The Authentication Service's own schema: users, their clients and credentials, sessions,
-- invites, and the keys of the AS itself.

create table users (
  uuid           uuid primary key,
  handle         text        not null unique,
  password_hash  text        not null,
  suspended      boolean     not null default false,
  created_at     timestamptz not null
);

create table clients (
  uuid                  uuid primary key,
  user_uuid             uuid        not null references users (uuid) on delete cascade,
  signature_scheme      integer     not null,
  signature_key         bytea       not null,
  label                 text        not null default '',
  -- The newest certificate issued to the client (DER) and its expiry.
  credential            bytea       not null,
  credential_not_after  timestamptz not null,
  created_at            timestamptz not null,
  last_session_at       timestamptz,
  -- The idempotency key of the registration and a digest of its request, to answer retries.
  idempotency_key       text,
  request_digest        bytea
);
create index clients_by_user on clients (user_uuid);
create unique index clients_by_idempotency_key on clients (user_uuid, idempotency_key)
  where idempotency_key is not null;

create table challenges (
  id           uuid primary key,
  client_uuid  uuid        not null references clients (uuid) on delete cascade,
  nonce        bytea       not null,
  expires_at   timestamptz not null
);
create index challenges_by_expiry on challenges (expires_at);

create table invites (
  token       text primary key,
  note        text        not null default '',
  created_at  timestamptz not null,
  expires_at  timestamptz not null,
  used_at     timestamptz,
  used_by     uuid
);

-- The AS root and intermediate CA (one row).
create table authority (
  singleton                 boolean primary key default true check (singleton),
  root_certificate          bytea       not null,
  root_private_key          bytea       not null,
  intermediate_certificate  bytea       not null,
  intermediate_private_key  bytea       not null,
  created_at                timestamptz not null
);

-- Ed25519 keys that sign access tokens.
create table token_keys (
  key_id       text primary key,
  private_key  bytea       not null,
  public_key   bytea       not null,
  created_at   timestamptz not null
);
