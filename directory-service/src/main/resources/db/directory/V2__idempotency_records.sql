-- The first answer to a request sent under an idempotency key, kept 7 days (federation.proto
-- IDEMPOTENCY): inbound federated connection
-- requests and updates, scoped to the peer's domain (sender_client is a name-based UUID of
-- "peer:<domain>"), claimed in the same transaction as the link change they make.
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
