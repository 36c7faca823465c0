-- The federation gateway: the operator's policy, this homeserver's federation signing keys, what
-- it knows of each peer, the durable outbox, and the request ids of signed calls it has seen.

-- The policy in force: one row. `version` grows with every change, so each process can tell its
-- copy is current.
create table policy (
  id          boolean     primary key default true check (id),
  mode        text        not null check (mode in ('allowlist', 'open')),
  version     bigint      not null,
  updated_at  timestamptz not null
);

-- The allowlist (mode allowlist) or the blocklist (mode open): lower-case DNS domains.
create table policy_domains (
  domain  text primary key
);

-- This homeserver's Ed25519 federation keys. The private key is sealed under the key-encryption
-- key, bound to its key id.
create table signing_keys (
  key_id              text        primary key,
  public_key          bytea       not null,
  sealed_private_key  bytea       not null,
  valid_from          timestamptz not null,
  valid_until         timestamptz not null
);

-- What this homeserver knows of each peer: the outbox's backoff towards it and the last outcomes.
create table peers (
  domain                text        primary key,
  consecutive_failures  integer     not null default 0,
  -- The outbox sends to the peer no sooner than this; null: as soon as something waits.
  next_attempt_at       timestamptz,
  last_success_at       timestamptz,
  last_error_at         timestamptz,
  last_error            text
);

-- The outbox: deliveries waiting for a destination domain, in lanes (`control`, or `group:` and the
-- group id in hex) that each keep the order of `id`. An entry is deleted once the peer answered it.
create table outbox (
  id               bigserial   primary key,
  destination      text        not null,
  lane             text        not null,
  -- The delivery's idempotency key; enqueuing the same key again for a destination is a no-op.
  idempotency_key  text        not null,
  -- A homeserver.federation.v1.Delivery.
  delivery         bytea       not null,
  enqueued_at      timestamptz not null,
  attempts         integer     not null default 0,
  -- A lane's head is sent no sooner than this (its own retries; the peer's backoff is in peers).
  next_attempt_at  timestamptz not null,
  last_error       text,
  unique (destination, idempotency_key)
);
create index outbox_lanes on outbox (destination, lane, id);

-- Entries the peer answered with a final error: kept for the operator, never sent again.
create table outbox_rejected (
  id               bigint      primary key,
  destination      text        not null,
  lane             text        not null,
  idempotency_key  text        not null,
  delivery         bytea       not null,
  enqueued_at      timestamptz not null,
  rejected_at      timestamptz not null,
  error            text        not null
);
create index outbox_rejected_by_destination on outbox_rejected (destination, rejected_at);

-- Which gateway process sends a lane now, until when: a lane is sent by one process at a time.
create table outbox_leases (
  destination  text        not null,
  lane         text        not null,
  owner        text        not null,
  until        timestamptz not null,
  primary key (destination, lane)
);

-- Request ids of signed calls seen from each origin, kept past the signature's time window, so a
-- replayed call is refused.
create table seen_requests (
  origin      text        not null,
  request_id  text        not null,
  expires_at  timestamptz not null,
  primary key (origin, request_id)
);
create index seen_requests_expiry on seen_requests (expires_at);
