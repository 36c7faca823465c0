-- Which domain claimed which KeyPackage (federation.proto ClaimKeyPackages), written in the
-- transaction of the claim, so the Welcome that adds a client of this domain from another domain's
-- group can be checked against it. A kept KeyPackage (last-resort or last) may be claimed by
-- several domains, and by one domain more than once.
create table peer_claims (
  domain           text        not null,
  -- RFC 9420 5.2 KeyPackageRef of the KeyPackage handed out.
  key_package_ref  bytea       not null,
  client_id        text collate "C" not null,
  claimed_at       timestamptz not null
);
create index peer_claims_by_ref on peer_claims (key_package_ref, domain);
