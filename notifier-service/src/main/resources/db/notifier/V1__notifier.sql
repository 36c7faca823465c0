-- The notifier's schema: clients' push endpoints and default policies, the VAPID key, the
-- notifications already taken (so a repeated one is dropped), and the push jobs when no Redis is
-- configured (with Redis they live in a stream).

-- One row per address a client registered; registering the same address again updates the row.
create table endpoints (
  endpoint_id     uuid        primary key,
  client_uuid     uuid        not null,
  user_id         text        not null,
  kind            smallint    not null,                  -- EndpointKind number
  address_key     text        not null,                  -- the URL or device token
  url             text,                                  -- Web Push and webhooks
  p256dh          bytea,                                 -- Web Push
  auth_secret     bytea,                                 -- Web Push
  device_token    text,                                  -- APNs and FCM
  apns_topic      text,
  apns_sandbox    boolean     not null default false,
  registered_at   timestamptz not null,
  last_success_at timestamptz,
  last_failure_at timestamptz,
  last_failure    text        not null default '',
  unique (client_uuid, address_key)
);
create index endpoints_by_user on endpoints (user_id);

create table default_policies (
  client_uuid uuid  primary key,
  user_id     text  not null,
  policy      bytea not null                             -- NotificationPolicy, defaults filled in
);
create index default_policies_by_user on default_policies (user_id);

-- The homeserver's VAPID key pair (RFC 8292), made at the first start: PKCS#8 of the private key.
create table vapid_keys (
  id         smallint    primary key check (id = 1),
  pkcs8      bytea       not null,
  created_at timestamptz not null
);

-- Notification ids already taken, kept a day, so a repeated NotifyClient is dropped.
create table seen_notifications (
  notification_id uuid        primary key,
  seen_at         timestamptz not null
);
create index seen_notifications_by_age on seen_notifications (seen_at);

-- Push jobs (one per notification and endpoint) when no Redis is configured. A worker leases a
-- job; one that dies holding it leaves it to be taken again when the lease runs out.
create table push_jobs (
  job_id       bigserial   primary key,
  job          bytea       not null,
  due_at       timestamptz not null,
  leased_until timestamptz
);
create index push_jobs_by_due on push_jobs (due_at);

-- The first answer to a request sent under an idempotency key, kept 24 hours (common.proto).
create table idempotency_records (
  sender_client   uuid        not null,
  idempotency_key text        not null,
  request_digest  bytea       not null,
  answer          bytea,
  created_at      timestamptz not null,
  primary key (sender_client, idempotency_key)
);
create index idempotency_records_by_age on idempotency_records (created_at);
