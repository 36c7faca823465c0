// Scenario b: a 20-member group built with adds and removes (by value and by proposals committed by
// reference), external joins through the GroupInfo the homeserver keeps (one a rejoin that replaces
// the member's old leaf), and members committing at the same moment, who retry on WRONG_EPOCH; then 500 messages with three more concurrent commits half way. At the end
// every member is at the same epoch as the homeserver, with the same tree and the same transcript.
// federated-big-group is the same with half the people (members 0, 2, ..., 10: among them racers,
// a remover, a proposer, an external joiner and the rejoiner) on the second homeserver and the
// group on the first, and 200 messages: each waits for the one before it to reach its sender, a
// round trip between the homeservers, so 500 would take the suite a minute more to prove nothing
// more.
import { User, hex } from "../client.mjs";
import { check, checkGroup, connect, everyoneAt, race, readAll } from "../checks.mjs";

export function bigGroup({ hs, say }) {
  return bigGroupAcross({ hs, peerHs: hs, say, messages: 500 });
}

export function federatedBigGroup({ hs, peer, say }) {
  check(peer, "this scenario needs a second homeserver: --peer-target");
  return bigGroupAcross({ hs, peerHs: peer.hs, say, messages: 200 });
}

/** The group and its owner on `hs`, the even-numbered people on `peerHs`. */
async function bigGroupAcross({ hs, peerHs, say, messages }) {
  const owner = await User.register(hs, "owner");
  const [o1, o2] = [await owner.newClient(), await owner.newClient()];
  const people = [];
  for (let i = 0; i < 12; i++) {
    const person = await User.register(i % 2 === 0 ? peerHs : hs, `member${i}`);
    for (let c = 0; c < (i < 5 || i === 11 ? 2 : 1); c++) {
      await person.newClient();
    }
    people.push(person);
  }
  const clients = people.flatMap(person => person.clients);
  for (const client of [o2, ...clients]) {
    await client.publishKeyPackages(2);
  }
  for (const person of people) {
    await connect(o1, person.clients[0]);
  }
  // Half the members read their queue with Listen, the others with Fetch.
  clients.forEach((client, i) => i % 2 === 0 && client.startListening());
  o2.startListening();

  const groupId = await o1.createGroup();
  const claimed = [];
  for (const person of people.slice(0, 10)) {
    claimed.push(...await o1.claim(person.userId));
  }
  await o1.commit(groupId, { add: claimed });
  // Who is in the group as the homeserver accepts each change; each catches up before the next step.
  let members = [o1, ...people.slice(0, 10).flatMap(person => person.clients)];
  await everyoneAt(members, groupId, o1.epoch(groupId));

  // Six members commit from the same epoch at once; one also removes members 8 and 9.
  const racers = [o1, ...people.slice(0, 5).map(person => person.clients[0])];
  const removed = [...people[8].clients, ...people[9].clients].map(client => client.clientId);
  const attempts = await race(racers, groupId, client => client === racers[3] ? { remove: removed } : {});
  check(attempts.filter(n => n === 1).length === 1, `one racer wins the first round, attempts: ${attempts}`);
  members = members.filter(client => !removed.includes(client.clientId));
  await everyoneAt(members, groupId, o1.epoch(groupId));

  // External joins: the owner's second client, and a connected user's client.
  await o2.joinExternally(groupId);
  await people[10].clients[0].joinExternally(groupId);
  members.push(o2, people[10].clients[0]);
  await everyoneAt(members, groupId, people[10].clients[0].epoch(groupId));
  // A member that lost its state of the group rejoins, its old leaf removed by the same commit.
  const amnesiac = people[4].clients[1];
  const before = o1.memberMap(groupId).length;
  amnesiac.groups.delete(hex(groupId));
  await amnesiac.joinExternally(groupId, { resync: true });
  await everyoneAt(members, groupId, amnesiac.epoch(groupId));
  check(o1.memberMap(groupId).length === before,
    `a rejoin keeps the member count: ${before} leaves before, ${o1.memberMap(groupId).length} after`);
  // A removal by proposal, committed by reference by another member.
  const proposer = people[2].clients[0];
  const leaf = o1.memberMap(groupId).find(m => m.clientId === people[7].clients[0].clientId).leafIndex;
  await proposer.propose(groupId, { proposalType: "remove", remove: { removed: leaf } });
  await o1.until(() => Object.keys(o1.group(groupId).state.unappliedProposals).length === 1, "the proposal");
  await o1.commit(groupId);
  members = members.filter(client => client !== people[7].clients[0]);
  // Back to 20: member 11's two clients (one added by a proposal of the owner's second client), and
  // members 7, 8 and 9 again with new KeyPackages.
  await everyoneAt([o2], groupId, o1.epoch(groupId));
  const [proposed] = await o2.claim(people[11].userId, [people[11].clients[0].clientId]);
  await o2.propose(groupId, { proposalType: "add", add: { keyPackage: proposed.keyPackage } });
  await o1.until(() => Object.keys(o1.group(groupId).state.unappliedProposals).length === 1, "the proposal");
  const again = await o1.claim(people[11].userId, [people[11].clients[1].clientId]);
  for (const person of [people[7], people[8], people[9]]) {
    again.push(...await o1.claim(person.userId));
  }
  await o1.commit(groupId, { add: again });
  members.push(...[people[11], people[7], people[8], people[9]].flatMap(person => person.clients));
  check(members.length === 20, `20 members before the messages, not ${members.length}`);
  await everyoneAt(members, groupId, o1.epoch(groupId));
  for (const client of [o2, ...clients]) {
    check(client.isMember(groupId) === members.includes(client), `${client.name} is wrongly in or out of the group`);
  }

  const log = [];
  const random = seeded(20261125);
  let raceAttempts = [];
  for (let n = 0; n < messages; n++) {
    if (n === messages / 2) {
      const some = members.slice(3, 6);
      await Promise.all(some.map(m => m.until(() => m.group(groupId).transcript.length === log.length, "messages")));
      raceAttempts = await race(some, groupId, () => ({}));
    }
    const sender = members[Math.floor(random() * members.length)];
    await sender.until(() => sender.group(groupId).transcript.length === log.length, `the ${log.length} messages so far`);
    log.push(await sender.sendText(groupId, `message ${n}`));
  }
  await readAll(groupId, log, members);
  await checkGroup(groupId, members, () => log);
  for (const client of [o2, ...clients]) {
    client.stopListening();
  }
  say(`20 members at epoch ${o1.epoch(groupId)}; racing commits took ${attempts} and ${raceAttempts} attempts; `
    + `${log.length} messages decrypted by every member`);
}

/** A small deterministic generator (mulberry32), so a failing run can be repeated. */
function seeded(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
