// Scenario c: a member is offline while the others send 200 messages and make two commits (an add
// and an update); it then reads its queue with Fetch, page by page (each page continuing after the
// one before through its page token), and ends at the same epoch with every message decrypted in
// order. A first page it reads without acknowledging it is sent again by the next Fetch, and skipped.
// federated-offline is the same with the offline member on the second homeserver, which follows
// the group the first one hosts.
import { User, hex } from "../client.mjs";
import { check, checkGroup, connect, linesFor, readAll, talk } from "../checks.mjs";

export function offline({ hs, say }) {
  return offlineAcross({ hs, catHs: hs, say });
}

export function federatedOffline({ hs, peer, say }) {
  check(peer, "this scenario needs a second homeserver: --peer-target");
  return offlineAcross({ hs, catHs: peer.hs, say });
}

/** The group and three members on `hs`, Cat (offline) on `catHs`. */
async function offlineAcross({ hs, catHs, say }) {
  const clients = [];
  for (const name of ["ann", "ben", "cat", "dan"]) {
    const client = await (await User.register(name === "cat" ? catHs : hs, name)).newClient();
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

  // Cat reads a first page and handles it, but does not acknowledge it: the homeserver keeps it.
  const first = await cat.call("delivery", "Fetch", { limit: 100 });
  check(first.entries.length === 100 && first.hasMore, `Cat's first page held ${first.entries.length} entries`
    + ` of 202 (has_more ${first.hasMore})`);
  for (const entry of first.entries) {
    await cat.handle(entry);
  }
  const skipped = cat.received.length;
  // A Fetch without a page token starts at the first entry not acknowledged: the same 100 again,
  // which Cat skips, then two more pages through the page tokens.
  const pages = await cat.fetchAll({ limit: 100 });
  check(pages === 3, `Cat read 202 entries in ${pages} pages of at most 100, not 3`);
  const again = cat.received.slice(skipped).filter(line => line.includes(" again ")).length;
  check(again === 100, `Cat was sent ${again} entries of its unacknowledged first page again, not 100:\n`
    + cat.recentlyReceived());
  const handled = cat.groupHandled.get(hex(groupId));
  check(handled === log.at(-1).sequence,
    `Cat handled the group's log up to #${handled}, the last message is #${log.at(-1).sequence}`);
  const rest = await cat.call("delivery", "Fetch", {});
  check(rest.entries.length === 0, `after its Ack, Cat's Fetch still returns ${rest.entries.length} entries`);
  await readAll(groupId, log, [ann, ben, dan]);
  await checkGroup(groupId, clients, member => linesFor(member, groupId, log));
  say(`the offline member read ${log.length} messages and 2 commits in ${pages} pages (its unacknowledged first `
    + `page sent again and skipped), now at epoch ${cat.epoch(groupId)}`);
}
