-- Which Listen stream of a client is the newest: each new stream takes the next generation, and a
-- stream that hears of a higher one (through signalling) ends with LISTEN_TAKEN_OVER. Numbering in
-- PostgreSQL orders streams started at the same moment on different processes, so exactly one of
-- them stays.
create table listen_generations (
  client_uuid  uuid   primary key,
  generation   bigint not null
);
