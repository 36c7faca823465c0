// What the scenarios share: connecting users, expecting errors, and comparing what each member saw
// with what it should have seen, reported per client when they differ.
import { randomUUID } from "node:crypto";
import { hex } from "./client.mjs";

export function check(condition, message) {
  if (!condition) {
    throw new Error(message);
  }
}

/** Runs `call` and expects it to fail with the homeserver reason `reason`. */
export async function expectFailure(reason, call) {
  try {
    await call();
  } catch (error) {
    check(error.reason === reason, `expected ${reason}, got ${error.message}`);
    return error;
  }
  throw new Error(`expected ${reason}, but the call succeeded`);
}

/** `requester`'s user asks `target`'s user for a connection and `target` accepts. */
export async function connect(requester, target) {
  await request(requester, target);
  await target.call("directory", "AcceptConnection", { requesterUserId: requester.user.userId });
}

export function request(requester, target) {
  return requester.call("directory", "RequestConnection",
    { targetUserId: target.user.userId, idempotencyKey: randomUUID() });
}

/**
 * Checks that each member's transcript of the group equals `expected(member)` line for line (the
 * same messages at the same numbers in the group's log), and
 * that the server's member map equals each member's ts-mls tree; otherwise throws a report naming
 * every member that differs, with what it expected and what it saw.
 */
export async function checkGroup(groupId, members, expected) {
  const problems = [];
  for (const member of members) {
    const want = expected(member);
    const have = member.group(groupId).transcript;
    const differs = want.findIndex((line, i) => !sameLine(line, have[i]));
    const at = differs >= 0 ? differs : (have.length !== want.length ? want.length : -1);
    if (at >= 0) {
      problems.push(`${member.name}: expected ${want.length} messages, decrypted ${have.length}; `
        + `first difference at #${at}: expected ${show(want[at])}, saw ${show(have[at])}\n`
        + `  its last lines: ${have.slice(Math.max(0, at - 2), at + 3).map(show).join(" | ")}\n`
        + `  its queue, last entries:\n${member.recentlyReceived()}`);
    }
  }
  const { group } = await members[0].call("delivery", "GetGroup", { groupId });
  const served = JSON.stringify(group.members.map(m => ({ leafIndex: m.leafIndex, clientId: m.clientId })));
  for (const member of members) {
    const own = JSON.stringify(member.memberMap(groupId));
    if (own !== served) {
      problems.push(`${member.name}: its tree has members ${own}, the homeserver ${served}`);
    }
    if (member.epoch(groupId) !== BigInt(group.epoch)) {
      problems.push(`${member.name}: at epoch ${member.epoch(groupId)}, the homeserver at ${group.epoch}`);
    }
  }
  check(problems.length === 0, `group ${hex(groupId)}:\n${problems.join("\n")}`);
}

/** The lines of `log` a member can read: those of the epochs since it joined. */
export function linesFor(member, groupId, log) {
  const joinedAt = member.group(groupId).joinedAt;
  return log.filter(line => line.epoch >= joinedAt);
}

/**
 * `count` messages sent in turn by `senders` into the group, each after its sender has read all
 * the earlier ones (so every transcript has one order); appended to `log`.
 */
export async function talk(groupId, log, count, senders) {
  for (let n = 0; n < count; n++) {
    const sender = senders[n % senders.length];
    await sender.until(() => sender.isMember(groupId)
      && sender.group(groupId).transcript.length === linesFor(sender, groupId, log).length, "the messages so far");
    log.push(await sender.sendText(groupId, `message ${log.length} from ${sender.name}`));
  }
}

/** Waits until each member has read every line of `log` it can read. */
export async function readAll(groupId, log, members) {
  for (const member of members) {
    await member.until(() => member.group(groupId).transcript.length >= linesFor(member, groupId, log).length,
      `the ${log.length} messages`);
  }
}

// A line's sequence is its number in the group's log: as its sender's SendResponse gave it, and as
// each other member found it on the queue entry.
const sameLine = (a, b) => b !== undefined && a.from === b.from && a.text === b.text && a.epoch === b.epoch
  && a.sequence === b.sequence;
const show = line => line === undefined ? "nothing"
  : `"${line.text}" from ${line.from} at epoch ${line.epoch}, log #${line.sequence}`;

/** The events of a kind a client received so far, e.g. events(c, "userDeleted"). */
export function events(client, kind) {
  return client.events.filter(event => event.event === kind).map(event => event[kind]);
}
