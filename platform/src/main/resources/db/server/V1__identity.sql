-- The homeserver's own identity: its home domain, fixed once.
create table identity (
  singleton boolean primary key default true check (singleton),
  domain    text        not null,
  fixed_at  timestamptz not null
);
