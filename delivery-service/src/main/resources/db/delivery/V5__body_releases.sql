-- Releasing a body no longer updates its row: every recipient of a group message acks the same
-- body, and those updates queued behind one row lock. An ack, a drop or a purge now appends how many
-- entries of each body it deleted; a sweep (QueueMaintenance, every few seconds, safe in several
-- processes at once) consumes the releases, subtracts them and deletes the bodies nothing points at
-- any more. Lock order of V1 is unchanged except that acks and drops take no queue_bodies lock.

create table body_releases (
  body_id  bigint  not null,
  entries  integer not null check (entries > 0)
);

-- A body whose every entry is released waits for the sweep at remaining = 0.
alter table queue_bodies drop constraint queue_bodies_remaining_check;
alter table queue_bodies add constraint queue_bodies_remaining_check check (remaining >= 0);
create index queue_bodies_unreferenced on queue_bodies (id) where remaining = 0;
