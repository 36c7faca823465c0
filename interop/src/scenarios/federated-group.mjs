// Scenario: a group across three homeservers. Alice on the first (the group's hub) connects with Bob
// on the second and Carol on the third, creates the group and adds her second client and Bob's and
// Carol's two each (their KeyPackages claimed through her own homeserver) in one commit; they join
// from the Welcome their own homeserver queues. Then ROUNDS rounds: a client of Bob and one of Carol
// commit (an empty commit, which carries an UpdatePath: a self-update) at the same epoch at the same
// moment while Alice sends a message; at most one commit wins, a loser catches up on WRONG_EPOCH and
// races again the next round; then one message from each homeserver at once. At the end every
// member, whichever homeserver serves it, has received each accepted message once, numbered as the
// hub numbered it, in that order and nothing it sent itself (checkLog); has processed every commit
// and decrypted every message (checkGroup); and is at the epoch and member map each homeserver
// shows, with the same epoch authenticator and exporter value (checkSecrets).
import { User } from "../client.mjs";
import { check, checkGroup, checkLog, checkSecrets, connect, everyoneAt, linesFor, race, readAll } from "../checks.mjs";

const ROUNDS = 10;

export async function federatedGroup({ hs, domain, peer, third, say }) {
  check(peer && third, "this scenario needs three homeservers: --peer-target and --third-target");
  const users = [await User.register(hs, "alice"), await User.register(peer.hs, "bob"),
    await User.register(third.hs, "carol")];
  for (const user of users) {
    await user.newClient();
    await user.newClient();
  }
  const [alice, bob, carol] = users;
  const [[a1, a2], [b1, b2], [c1, c2]] = users.map(user => user.clients);
  for (const client of [a2, b1, b2, c1, c2]) {
    await client.publishKeyPackages(2);
  }
  await connect(a1, b1);
  await connect(a1, c1);
  // On each homeserver one client reads with Listen, the other with Fetch.
  for (const client of [a2, b2, c2]) {
    client.startListening();
  }
  const members = [a1, a2, b1, b2, c1, c2];

  const groupId = await a1.createGroup();
  const claimed = [...await a1.claim(alice.userId, [a2.clientId]), ...await a1.claim(bob.userId),
    ...await a1.claim(carol.userId)];
  check(claimed.length === 5, `claimed ${claimed.length} KeyPackages of Alice's second client, Bob's two and Carol's two`);
  await a1.commit(groupId, { add: claimed });
  const [added] = a1.logOf(groupId).keys();
  check(added === 1n, `the commit that adds everyone is #${added} of the group's log, not #1`);
  await everyoneAt(members, groupId, a1.epoch(groupId));

  const log = [];
  const send = async (sender, text) => { log.push(await sender.sendText(groupId, text)); };
  const won = { [bob.handle]: 0, [carol.handle]: 0, neither: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    const racers = round % 2 === 0 ? [b1, c1] : [b2, c2];
    const [a, b, c] = round % 2 === 0 ? [a2, b2, c2] : [a1, b1, c1];
    const attempts = await race(racers, groupId, () => ({ retry: false }),
      () => send(a, `round ${round}: from ${domain} during the race`));
    const winners = racers.filter((racer, i) => attempts[i] === 1);
    check(winners.length <= 1, `round ${round}: both commits for the same epoch were accepted`);
    won[winners[0]?.user.handle ?? "neither"]++;
    // The winner is at the new epoch, a loser caught up to the epoch its WRONG_EPOCH named.
    await everyoneAt(members, groupId, racers[0].epoch(groupId));
    await Promise.all([a, b, c].map(sender => send(sender, `round ${round}: from ${sender.hs.target}`)));
  }
  check(won.neither < ROUNDS, `no commit of the ${ROUNDS} rounds was accepted`);

  // The lines in the hub's order. A member places its own line when its Send returns, so one that
  // sent while an earlier-numbered message was on its way holds the two the other way round: the
  // transcripts are compared in log order, the order of arrival is checkLog's.
  log.sort(bySequence);
  await readAll(groupId, log, members);
  const last = checkLog(groupId, members, member => (member === a1 ? 1n : added + 1n));
  for (const member of members) {
    member.group(groupId).transcript.sort(bySequence);
  }
  // Each homeserver's view of the group (the hub's, then each follower's copy) against every member.
  for (const served of [a1, b1, c1]) {
    await checkGroup(groupId, [served, ...members.filter(m => m !== served)], member => linesFor(member, groupId, log));
  }
  await checkSecrets(groupId, members);
  for (const client of members) {
    client.stopListening();
  }
  say(`${domain} hosts, ${peer.domain} and ${third.domain} follow: ${members.length} members at epoch `
    + `${a1.epoch(groupId)}; ${ROUNDS} rounds of racing commits won by ${bob.handle} ${won[bob.handle]}, `
    + `${carol.handle} ${won[carol.handle]}, neither ${won.neither}; ${last} log entries (${log.length} messages) `
    + `seen alike by every member, with the same epoch authenticator and exporter value`);
}

const bySequence = (x, y) => (x.sequence < y.sequence ? -1 : x.sequence > y.sequence ? 1 : 0);
