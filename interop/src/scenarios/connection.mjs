// Scenario a: two people connect and talk. Discover, request, claim under the request's claim right,
// a group with both of Bob's clients and Alice's second one, accept, messages both ways, a display
// name change, and Alice's account deletion. Every application message decrypts at every member.
import { User } from "../client.mjs";
import { check, checkGroup, events, expectFailure, readAll, request, talk } from "../checks.mjs";

export async function connection({ hs, domain, say }) {
  const alice = await User.register(hs, "alice");
  const bob = await User.register(hs, "bob");
  const [a1, a2] = [await alice.newClient(), await alice.newClient()];
  const [b1, b2] = [await bob.newClient(), await bob.newClient()];
  for (const client of [a1, a2, b1, b2]) {
    await client.publishKeyPackages(3, { lastResort: true });
  }
  b1.startListening();

  const found = await a1.call("directory", "DiscoverUser", { query: `${bob.handle}@${domain}` });
  check(found.profile.userId === bob.userId, `discovered ${found.profile.userId}, not ${bob.userId}`);
  await request(a1, b1);
  const bobs = await a1.claim(bob.userId);
  check(bobs.length === 2, `claimed ${bobs.length} KeyPackages of Bob's two clients`);
  await expectFailure("CLAIM_RIGHT_USED", () => a1.claim(bob.userId));
  const aliceSecond = await a1.claim(alice.userId, [a2.clientId]);

  const groupId = await a1.createGroup();
  await a1.commit(groupId, { add: [...bobs, ...aliceSecond] });
  await b1.until(() => b1.isMember(groupId), "the Welcome");
  await b2.until(() => b2.isMember(groupId), "the Welcome");
  await a2.until(() => a2.isMember(groupId), "the Welcome");
  check(events(b2, "connectionRequested").some(e => e.requesterUserId === alice.userId),
    `${b2.name} got no ConnectionRequested from Alice`);

  await b2.call("directory", "AcceptConnection", { requesterUserId: alice.userId });
  for (const client of [a1, a2, b1]) {
    await client.until(() => events(client, "connectionAccepted").some(e => e.targetUserId === bob.userId),
      "ConnectionAccepted");
  }

  const all = [a1, a2, b1, b2];
  const log = [];
  await talk(groupId, log, 20, all);
  await readAll(groupId, log, all);
  await checkGroup(groupId, all, () => log);
  check(a1.roots.accepted > 0, "ts-mls never asked the AS check about a credential");
  check(a1.roots.problemWith(b1.credential, a1.key.publicKey) !== null,
    "the AS check accepted Bob's certificate chain for Alice's key");

  await b1.call("directory", "SetDisplayName", { displayName: "Bob the Builder" });
  for (const client of [a1, a2]) {
    await client.until(() => events(client, "profileChanged")
      .some(e => e.userId === bob.userId && e.displayName === "Bob the Builder"), "Bob's ProfileChanged");
  }

  await a1.call("directory", "DeleteAccount", { password: alice.password });
  for (const client of [b1, b2]) {
    await client.until(() => events(client, "userDeleted").some(e => e.userId === alice.userId), "UserDeleted");
  }
  await expectFailure("TOKEN_REVOKED", () => a2.call("delivery", "Fetch", {}));
  await expectFailure("HANDLE_TAKEN", () => hs.call("auth", "RegisterUser",
    { handle: alice.handle, password: "another-password-1" }));

  // Bob's clients take Alice's leaves out and go on talking.
  await b2.commit(groupId, { remove: [a1.clientId, a2.clientId] });
  await talk(groupId, log, 4, [b1, b2]);
  await readAll(groupId, log, [b1, b2]);
  await checkGroup(groupId, [b1, b2], () => log);
  b1.stopListening();
  say(`${log.length} messages decrypted by every member; ${a1.roots.accepted} credentials checked against the AS root`);
}
