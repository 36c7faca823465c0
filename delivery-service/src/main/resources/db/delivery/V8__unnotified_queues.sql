-- Queues with entries the notifier has not been told of yet: set in the statement that gives an
-- entry its sequence number (so in the sender's transaction, at no extra cost), cleared once the
-- notifier has taken the notifications. A hand-off lost with its process is found by this mark and
-- made again.
alter table queue_heads add column unnotified_since timestamptz;
create index queue_heads_unnotified on queue_heads (unnotified_since) where unnotified_since is not null;
