// Scenario e: cipher suites 1, 2 and 3 (Ed25519, ECDSA P-256 and ChaCha20 groups): registration with
// the suite's signature scheme, KeyPackages, a group, messages both ways, an update commit.
import { SUITES } from "../credentials.mjs";
import { User } from "../client.mjs";
import { check, checkGroup, connect, readAll, talk } from "../checks.mjs";

export async function suites({ hs, say }) {
  for (const suite of [1, 2, 3]) {
    const ivy = await (await User.register(hs, `ivy${suite}`)).newClient({ suite });
    const jon = await (await User.register(hs, `jon${suite}`)).newClient({ suite });
    await jon.publishKeyPackages(2);
    await connect(ivy, jon);
    const groupId = await ivy.createGroup();
    const { group } = await ivy.call("delivery", "GetGroup", { groupId });
    check(group.cipherSuite === suite, `the homeserver keeps suite ${group.cipherSuite} for a suite ${suite} group`);
    await ivy.commit(groupId, { add: await ivy.claim(jon.user.userId) });
    const log = [];
    await talk(groupId, log, 10, [ivy, jon]);
    await jon.catchUp(groupId, ivy.epoch(groupId));
    await jon.commit(groupId);
    await talk(groupId, log, 10, [ivy, jon]);
    await readAll(groupId, log, [ivy, jon]);
    await checkGroup(groupId, [ivy, jon], () => log);
    say(`suite ${suite} (${SUITES[suite].name}): ${log.length} messages, epoch ${ivy.epoch(groupId)}`);
  }
}
