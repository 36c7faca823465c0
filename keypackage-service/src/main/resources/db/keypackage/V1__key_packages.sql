-- The KeyPackage store: every client's published KeyPackages, exactly as published, with what a
-- claim needs to pick one (suite, last-resort or not) without decoding them again.
--
-- Lock order, the same in every transaction, so publishes, claims and purges cannot deadlock: an
-- idempotency record (at most one, the caller's own key), then key_package_clients rows in one
-- statement sorted by client id, then that client's key_packages and low_stock_notices rows.
--
-- Client ids are compared byte-wise (collate "C") so that a user's clients, whose ids all start
-- with `mimi://<domain>/c/<handle>/`, are one range of the primary key.

-- One row per client that has published: the lock that serialises its publishes and the claims of
-- its KeyPackages. A claim holds it for the few statements that pick and delete one, so whether a
-- KeyPackage is the client's last is decided on a stable set: two claims cannot both take the
-- second-to-last one, and a claim never sees half of a publish.
create table key_package_clients (
  client_id   text collate "C" primary key,
  -- How many publishes the client made; names the stock a KeyPackagesLow event is about.
  generation  bigint not null check (generation > 0)
);

create table key_packages (
  id            bigint generated always as identity primary key,
  client_id     text collate "C" not null,
  cipher_suite  integer not null check (cipher_suite between 1 and 65535),
  -- Carries the last_resort extension: handed out only when no other is left, and never deleted.
  last_resort   boolean not null,
  -- The MLSMessage bytes as published; claims return them unchanged.
  key_package   bytea   not null,
  published_at  timestamptz not null
);
-- Claims take the oldest non-last-resort KeyPackage first.
create index key_packages_by_client on key_packages (client_id, cipher_suite, last_resort, id);
create unique index key_packages_one_last_resort on key_packages (client_id, cipher_suite) where last_resort;

-- The KeyPackagesLow event sent for a client's suite since its last publish (at most one).
create table low_stock_notices (
  client_id     text collate "C" not null,
  cipher_suite  integer not null,
  -- The publish the event is about.
  generation    bigint  not null,
  primary key (client_id, cipher_suite)
);

-- The first answer to a request sent under an idempotency key, kept 24 hours (common.proto).
create table idempotency_records (
  sender_client   uuid        not null,
  idempotency_key text        not null,
  -- A digest of the request, to tell a retry from another request reusing the key.
  request_digest  bytea       not null,
  -- The answer, encoded by the operation; null only inside the transaction that claims the key.
  answer          bytea,
  created_at      timestamptz not null,
  primary key (sender_client, idempotency_key)
);
create index idempotency_records_by_age on idempotency_records (created_at);
