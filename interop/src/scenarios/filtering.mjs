// Scenario g: the homeserver, a filtering Delivery Service, refuses what a correct member would
// refuse (RFC 9420). Three members send handshake messages that ts-mls made and this scenario
// changed in one respect, re-signed with the sender's own key where the change is under a
// signature, so that only that respect is wrong: flipped signature bits, a path leaf with another
// client's credential, a member's encryption key or a wrong parent hash, an Update bringing another
// client's leaf, Adds of KeyPackages that do not validate, a commit taking an Update and a Remove of
// one leaf. Each is refused with its reason and rule and changes nothing: the epoch and the
// members stay, no one receives anything, and afterwards the group commits and talks as before.
import { randomUUID } from "node:crypto";
import { createCommit, createProposal, encodeMlsMessage } from "ts-mls";
import { signFramedContentTBS, toTbs } from "ts-mls/framedContent.js";
import { makeKeyPackageRef } from "ts-mls/keyPackage.js";
import { protectPublicMessage } from "ts-mls/messageProtectionPublic.js";
import { User, hex, mls, signLeafNode } from "../client.mjs";
import { check, checkGroup, connect, expectFailure, readAll, talk } from "../checks.mjs";

const DAY_SECONDS = 86_400n;

export async function filtering({ hs, say }) {
  const kim = await (await User.register(hs, "kim")).newClient();
  const lee = await (await User.register(hs, "lee")).newClient();
  const mo = await (await User.register(hs, "mo")).newClient();
  const lee2 = await lee.user.newClient();
  for (const client of [lee, mo]) {
    await client.publishKeyPackages(1);
  }
  await connect(kim, lee);
  await connect(kim, mo);
  const groupId = await kim.createGroup();
  const added = [...await kim.claim(lee.user.userId, [lee.clientId]), ...await kim.claim(mo.user.userId)];
  await kim.commit(groupId, { add: added });
  const members = [kim, lee, mo];
  const log = [];
  await talk(groupId, log, 3, members);
  await readAll(groupId, log, members);
  for (const client of [...members, lee2]) {
    await client.fetchAll();   // everything so far acknowledged: a later Fetch finds only what is new
  }

  // Sends `request` as `sender`, expects `reason` with one of `rules`, and checks nothing changed.
  const refuse = async (what, sender, request, reason, rules) => {
    const { group } = await kim.call("delivery", "GetGroup", { groupId });
    const error = await expectFailure(reason,
      () => sender.call("delivery", "Send", { ...request, idempotencyKey: randomUUID() }));
    check(error.code === "INVALID_ARGUMENT", `${what}: ${reason} came as ${error.code}`);
    check(rules.includes(error.metadata.rule), `${what}: expected rule ${rules.join(" or ")}, got ${error.message}`);
    await checkUnchanged(groupId, group, [...members, lee2], what);
    say(`${what}: ${reason} ${error.metadata.rule}`
      + `${error.metadata.field ? ` (field ${error.metadata.field})` : ""}: ${error.metadata.detail ?? ""}`);
  };
  const leafOf = (member, client) => {
    const { leafIndex } = member.memberMap(groupId).find(m => m.clientId === client.clientId);
    return { leafIndex, leaf: member.group(groupId).state.ratchetTree[2 * leafIndex].leaf };
  };

  // RFC 9420 section 6.1: a PublicMessage's signature verifies under the sender's leaf key.
  const commit = await draftCommit(lee, groupId);
  await refuse("a commit with a flipped signature bit", lee,
    await commitRequest(lee, groupId, commit.content, { ...commit.auth, signature: flipBit(commit.auth.signature) }),
    "GROUP_RULE_BROKEN", ["GROUP_RULE_SIGNATURE"]);
  const remove = await draftProposal(mo, groupId,
    { proposalType: "remove", remove: { removed: leafOf(mo, lee).leafIndex } });
  await refuse("a Remove proposal with a flipped signature bit", mo,
    await proposalRequest(mo, groupId, remove.content, { ...remove.auth, signature: flipBit(remove.auth.signature) }),
    "GROUP_RULE_BROKEN", ["GROUP_RULE_SIGNATURE"]);

  // The AS's rule (delivery.proto): a leaf a client brings for itself carries its own credential.
  await refuse("a commit whose path leaf carries another member's credential", lee,
    await commitWithPathLeaf(lee, groupId, leaf => ({ ...leaf, credential: mo.credential })),
    "GROUP_RULE_BROKEN", ["GROUP_RULE_CREDENTIAL"]);
  // lee2's leaf, signed by lee2, is lee2's to bring: lee may not take over another client of its user.
  const lee2Leaf = await signLeafNode({
    leafNodeSource: "update", hpkePublicKey: await newEncryptionKey(lee), signaturePublicKey: lee2.key.publicKey,
    credential: lee2.credential, capabilities: leafOf(lee, lee).leaf.capabilities, extensions: [],
  }, lee.group(groupId).state, lee.impl, lee2.key.signKey);
  const takeOver = await draftProposal(lee, groupId, { proposalType: "update", update: { leafNode: lee2Leaf } });
  await refuse("an Update proposal whose leaf is another client of the sender's user", lee,
    await proposalRequest(lee, groupId, takeOver.content, takeOver.auth),
    "GROUP_RULE_BROKEN", ["GROUP_RULE_CREDENTIAL"]);
  // Sections 7.3 and 12.4.3.1: encryption keys are unique in the tree.
  await refuse("a commit whose path leaf has a member's encryption key", mo,
    await commitWithPathLeaf(mo, groupId, leaf => ({ ...leaf, hpkePublicKey: leafOf(mo, kim).leaf.hpkePublicKey })),
    "GROUP_RULE_BROKEN", ["GROUP_RULE_LEAF_NODE", "GROUP_RULE_TREE"]);
  // Section 7.9.2: the committer's new leaf chains to its new path by parent hash.
  await refuse("a commit whose path leaf has a wrong parent hash", kim,
    await commitWithPathLeaf(kim, groupId, leaf => ({ ...leaf, parentHash: flipBit(leaf.parentHash) })),
    "GROUP_RULE_BROKEN", ["GROUP_RULE_PARENT_HASH"]);

  // Section 10.1: an added KeyPackage is signed by its leaf's key, and within its lifetime.
  const valid = (await lee2.newKeyPackage()).publicPackage;
  await refuse("an Add of a KeyPackage with a flipped signature bit", kim,
    await commitAdding(kim, groupId, valid, { ...valid, signature: flipBit(valid.signature) }),
    "KEY_PACKAGE_INVALID", ["KEY_PACKAGE_RULE_SIGNATURE_INVALID"]);
  const now = BigInt(Math.floor(Date.now() / 1000));
  const ended = { notBefore: now - 2n * DAY_SECONDS, notAfter: now - DAY_SECONDS };
  const expired = await lee2.newKeyPackage({ lifetime: ended });
  await refuse("an Add of a KeyPackage whose lifetime ended", kim,
    await commitAdding(kim, groupId, valid, expired.publicPackage),
    "KEY_PACKAGE_INVALID", ["KEY_PACKAGE_RULE_LIFETIME_INVALID"]);

  // Section 12.2: a commit holds at most one Update or Remove per leaf. lee's Update is accepted and
  // pending; mo's commit takes it by reference and removes lee as well.
  const update = await lee.proposeUpdate(groupId);
  for (const member of [kim, mo]) {
    await member.until(() => Object.keys(member.group(groupId).state.unappliedProposals).length === 1,
      "lee's Update");
  }
  await refuse("a commit taking lee's Update by reference and removing lee", mo,
    await commitUpdateAndRemove(mo, groupId, leafOf(mo, lee).leafIndex),
    "GROUP_RULE_BROKEN", ["GROUP_RULE_PROPOSAL"]);

  // The group goes on: kim's commit takes lee's Update, and everyone reads everything.
  await kim.commit(groupId);
  await talk(groupId, log, 6, members);
  await readAll(groupId, log, members);
  await checkGroup(groupId, members, () => log);
  for (const member of members) {
    check(hex(leafOf(member, lee).leaf.hpkePublicKey) === hex(update.hpkePublicKey),
      `${member.name} does not have lee's Update in its tree`);
  }
  say(`the group went on at epoch ${kim.epoch(groupId)}, ${log.length} messages read by every member`);
}

/** `bytes` with one bit flipped (in the middle, so no encoding notices). */
function flipBit(bytes) {
  const flipped = Uint8Array.from(bytes);
  flipped[flipped.length >> 1] ^= 0x01;
  return flipped;
}

/** A new HPKE public key of `member`'s suite. */
async function newEncryptionKey(member) {
  return member.impl.hpke.exportPublicKey((await member.impl.hpke.generateKeyPair()).publicKey);
}

/** A commit ts-mls makes for `member` as a PublicMessage, not sent: { content, auth, welcome }. */
async function draftCommit(member, groupId, { state = member.group(groupId).state, ...options } = {}) {
  const result = await createCommit({ state, cipherSuite: member.impl }, { ...options, wireAsPublicMessage: true });
  const { content, auth } = result.commit.publicMessage;
  return { content, auth, welcome: result.welcome };
}

/** A proposal ts-mls makes for `member` as a PublicMessage, not sent (nor kept in the member's state). */
async function draftProposal(member, groupId, proposal) {
  const { message } = await createProposal(member.group(groupId).state, true, proposal, member.impl);
  return message.publicMessage;
}

/** `auth` with `member`'s signature over `content`: FramedContentTBS in the group's context (section 6.1). */
async function signed(member, groupId, content, auth) {
  const { state } = member.group(groupId);
  const tbs = toTbs(content, "mls_public_message", state.groupContext);
  return { ...auth, signature: await signFramedContentTBS(state.signaturePrivateKey, tbs, member.impl.signature) };
}

/** `content` and `auth` as a PublicMessage MLSMessage, with the membership tag `member` would compute. */
async function publicMessage(member, groupId, content, auth) {
  const { state } = member.group(groupId);
  const message = await protectPublicMessage(state.keySchedule.membershipKey, state.groupContext, { content, auth },
    member.impl);
  return encodeMlsMessage({ version: "mls10", wireformat: "mls_public_message", publicMessage: message });
}

/** The SendRequest of a proposal (without its idempotency key). */
async function proposalRequest(member, groupId, content, auth) {
  return { mlsMessage: await publicMessage(member, groupId, content, auth) };
}

/** The SendRequest of a commit, with its Welcome if any (without its idempotency key). */
async function commitRequest(member, groupId, content, auth, welcome) {
  return {
    commitBundle: {
      commit: await publicMessage(member, groupId, content, auth),
      welcome: welcome ? mls("mls_welcome", { welcome }) : new Uint8Array(),
    },
  };
}

/** The SendRequest of a commit whose `content` was changed, signed again by `member`. */
async function resignedCommitRequest(member, groupId, content, auth, welcome) {
  return commitRequest(member, groupId, content, await signed(member, groupId, content, auth), welcome);
}

/** `content`, a commit, with `proposals` (ProposalOrRef) instead of its own. */
function withProposals(content, proposals) {
  return { ...content, commit: { ...content.commit, proposals } };
}

/**
 * `member`'s commit of nothing but an UpdatePath, whose leaf `change` alters; the leaf and the
 * commit re-signed with the member's key, so only what `change` did is wrong.
 */
async function commitWithPathLeaf(member, groupId, change) {
  const { content, auth } = await draftCommit(member, groupId);
  const { path } = content.commit;
  const leafNode = await signLeafNode(change(path.leafNode), member.group(groupId).state, member.impl);
  const changed = { ...content, commit: { ...content.commit, path: { ...path, leafNode } } };
  return resignedCommitRequest(member, groupId, changed, auth);
}

/**
 * `member`'s commit adding `keyPackage`, with a Welcome naming it: made by ts-mls for the valid
 * `draftPackage` of the same client (ts-mls refuses to add one that does not validate), then
 * `keyPackage` put in its place and the commit re-signed.
 */
async function commitAdding(member, groupId, draftPackage, keyPackage) {
  const draft = await draftCommit(member, groupId,
    { extraProposals: [{ proposalType: "add", add: { keyPackage: draftPackage } }] });
  const changed = withProposals(draft.content,
    [{ proposalOrRefType: "proposal", proposal: { proposalType: "add", add: { keyPackage } } }]);
  const newMember = await makeKeyPackageRef(keyPackage, member.impl.hash);
  const welcome = { ...draft.welcome, secrets: [{ ...draft.welcome.secrets[0], newMember }] };
  return resignedCommitRequest(member, groupId, changed, draft.auth, welcome);
}

/**
 * `member`'s commit of the one pending proposal (an Update of `leafIndex`) by reference and a
 * Remove of that leaf: made by ts-mls with the Remove alone (it refuses the pair), then the
 * reference added and the commit re-signed.
 */
async function commitUpdateAndRemove(member, groupId, leafIndex) {
  const { state } = member.group(groupId);
  const [reference] = Object.keys(state.unappliedProposals).map(ref => new Uint8Array(Buffer.from(ref, "base64")));
  const { content, auth } = await draftCommit(member, groupId, {
    state: { ...state, unappliedProposals: {} },
    extraProposals: [{ proposalType: "remove", remove: { removed: leafIndex } }],
  });
  const changed = withProposals(content, [{ proposalOrRefType: "reference", reference }, ...content.commit.proposals]);
  return resignedCommitRequest(member, groupId, changed, auth);
}

/**
 * Checks that the group is still as `before` (epoch and members, GetGroup) and that none of
 * `clients` finds anything of the group waiting for it (a message, or a Welcome into it).
 */
async function checkUnchanged(groupId, before, clients, what) {
  const { group } = await clients[0].call("delivery", "GetGroup", { groupId });
  const members = g => JSON.stringify(g.members.map(m => [m.leafIndex, m.clientId]));
  check(group.epoch === before.epoch && members(group) === members(before), `${what} changed the group: `
    + `epoch ${before.epoch} -> ${group.epoch}, members ${members(before)} -> ${members(group)}`);
  for (const client of clients) {
    const { entries } = await client.call("delivery", "Fetch", { limit: 100 });
    const ofGroup = entries.filter(entry => hex(entry[entry.content].groupId ?? []) === hex(groupId));
    check(ofGroup.length === 0, `${what}: ${client.name} received ${ofGroup.map(entry => entry.content).join(", ")}`);
  }
}
