// Scenario: two people on two homeservers connect (federation). Alice on the first homeserver finds
// Bob on the second by his qualified handle, asks, is rejected and told, asks again, claims Bob's
// KeyPackages under the request's claim right and checks each credential against Bob's domain's AS
// root, fetched through her own homeserver; Bob accepts, renames himself, and Alice's account
// deletion reaches him. (Groups across homeservers come with federated groups.)
import { User } from "../client.mjs";
import { AuthenticationRoots } from "../credentials.mjs";
import { check, events, expectFailure, request } from "../checks.mjs";

export async function federatedConnection({ hs, domain, peer, say }) {
  check(peer, "this scenario needs a second homeserver: --peer-target");
  const alice = await User.register(hs, "alice");
  const bob = await User.register(peer.hs, "bob");
  const [a1, a2] = [await alice.newClient(), await alice.newClient()];
  const [b1, b2] = [await bob.newClient(), await bob.newClient()];
  for (const client of [b1, b2]) {
    await client.publishKeyPackages(3, { lastResort: true });
  }

  const found = await a1.call("directory", "DiscoverUser", { query: `${bob.handle}@${peer.domain}` });
  check(found.profile.userId === bob.userId, `discovered ${found.profile.userId}, not ${bob.userId}`);

  await request(a1, b1);
  await b1.until(() => events(b1, "connectionRequested").some(e => e.requesterUserId === alice.userId),
    "Alice's ConnectionRequested");
  await b1.call("directory", "RejectConnection", { requesterUserId: alice.userId });
  for (const client of [a1, a2]) {
    await client.until(() => events(client, "connectionRejected").some(e => e.targetUserId === bob.userId),
      "ConnectionRejected");
  }

  await request(a1, b1);
  const bobs = await a1.claim(bob.userId);
  check(bobs.length === 2, `claimed ${bobs.length} KeyPackages of Bob's two clients`);
  await expectFailure("CLAIM_RIGHT_USED", () => a1.claim(bob.userId));
  const { domain: rootsOf, rootCertificates } = await a1.call("auth", "GetAuthenticationRoots",
    { domain: peer.domain });
  check(rootsOf === peer.domain, `asked for the roots of ${peer.domain}, got those of ${rootsOf}`);
  const bobsRoots = new AuthenticationRoots(peer.domain, rootCertificates);
  for (const { clientId, keyPackage } of bobs) {
    const { credential, signaturePublicKey } = keyPackage.leafNode;
    const problem = bobsRoots.problemWith(credential, signaturePublicKey);
    check(problem === null, `${clientId}'s credential does not verify against ${peer.domain}'s root: ${problem}`);
    check(a1.roots.problemWith(credential, signaturePublicKey) !== null,
      `${clientId}'s credential verified against ${domain}'s root`);
  }

  await b2.call("directory", "AcceptConnection", { requesterUserId: alice.userId });
  for (const client of [a1, a2]) {
    await client.until(() => events(client, "connectionAccepted").some(e => e.targetUserId === bob.userId),
      "ConnectionAccepted");
  }

  await b1.call("directory", "SetDisplayName", { displayName: "Bob from afar" });
  for (const client of [a1, a2]) {
    await client.until(() => events(client, "profileChanged")
      .some(e => e.userId === bob.userId && e.displayName === "Bob from afar"), "Bob's ProfileChanged");
  }

  await a1.call("directory", "DeleteAccount", { password: alice.password });
  for (const client of [b1, b2]) {
    await client.until(() => events(client, "userDeleted").some(e => e.userId === alice.userId), "UserDeleted");
  }
  const { relationship } = await b1.call("directory", "GetProfile", { userId: bob.userId });
  check(relationship === "RELATIONSHIP_SELF", `Bob's own profile says ${relationship}`);
  say(`${domain} and ${peer.domain}: discovered, rejected, connected, claimed ${bobs.length} KeyPackages `
    + `verified against ${peer.domain}'s root, renamed, deleted`);
}
