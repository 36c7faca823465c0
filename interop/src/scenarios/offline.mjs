// Scenario c: a member is offline while the others send 200 messages and make two commits (an add
// and an update); it then reads its queue with Fetch, page by page, and ends at the same epoch with
// every message decrypted in order.
import { User } from "../client.mjs";
import { check, checkGroup, connect, linesFor, readAll, talk } from "../checks.mjs";

export async function offline({ hs, say }) {
  const clients = [];
  for (const name of ["ann", "ben", "cat", "dan"]) {
    const client = await (await User.register(hs, name)).newClient();
    await client.publishKeyPackages(2);
    clients.push(client);
  }
  const [ann, ben, cat, dan] = clients;
  for (const other of [ben, cat, dan]) {
    await connect(ann, other);
  }
  const groupId = await ann.createGroup();
  await ann.commit(groupId, { add: [...await ann.claim(ben.user.userId), ...await ann.claim(cat.user.userId)] });
  await cat.catchUp(groupId, ann.epoch(groupId));   // Cat joins, then goes offline.

  const log = [];
  await talk(groupId, log, 100, [ann, ben]);
  await ann.commit(groupId, { add: await ann.claim(dan.user.userId) });   // commit 1: Dan joins
  await talk(groupId, log, 50, [ann, ben, dan]);
  await ben.catchUp(groupId, ann.epoch(groupId));
  await ben.commit(groupId);                                                // commit 2: Ben updates
  await talk(groupId, log, 50, [ann, ben, dan]);

  const pages = await cat.fetchAll({ limit: 100 });
  check(pages === 3, `Cat read 202 entries in ${pages} pages of at most 100, not 3`);
  await readAll(groupId, log, [ann, ben, dan]);
  await checkGroup(groupId, clients, member => linesFor(member, groupId, log));
  say(`the offline member read ${log.length} messages and 2 commits in ${pages} pages, now at epoch ${cat.epoch(groupId)}`);
}
