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

/**
 * `requester`'s user asks `target`'s user for a connection and `target` accepts; across homeservers
 * the requester waits until its homeserver has heard of the acceptance.
 */
export async function connect(requester, target) {
  await request(requester, target);
  await target.call("directory", "AcceptConnection", { requesterUserId: requester.user.userId });
  if (target.hs !== requester.hs) {
    await requester.until(() => events(requester, "connectionAccepted").some(e => e.targetUserId === target.user.userId),
      `${target.user.handle}'s ConnectionAccepted`);
  }
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

/**
 * Checks the group's log as its members saw it: what they sent together is numbered 1, 2, 3...
 * without a gap or a number given twice; each member knows every number from `firstOf(member)` on
 * exactly once, as its own message or as one it received and processed, never received back its own,
 * and was sent nothing again that it had acknowledged; every member has the same message at each
 * number. Returns the last number.
 */
export function checkLog(groupId, members, firstOf) {
  const problems = [];
  const byNumber = new Map();   // sequence -> { digest, sender }
  for (const member of members) {
    for (const [sequence, { digest, how }] of member.logOf(groupId)) {
      if (how === "sent") {
        const other = byNumber.get(sequence);
        if (other) {
          problems.push(`#${sequence} was given to ${other.sender}'s message and to ${member.name}'s`);
        }
        byNumber.set(sequence, { digest, sender: member.name });
      }
    }
  }
  const last = [...byNumber.keys()].reduce((a, b) => (b > a ? b : a), 0n);
  for (let sequence = 1n; sequence <= last; sequence++) {
    if (!byNumber.has(sequence)) {
      problems.push(`no member sent #${sequence}, though ${last} messages were sent`);
    }
  }
  for (const member of members) {
    const log = member.logOf(groupId);
    const wrong = [];
    for (let sequence = firstOf(member); sequence <= last; sequence++) {
      const known = log.get(sequence);
      const sent = byNumber.get(sequence);
      if (!known || (known.how !== "sent" && known.how !== "processed")) {
        wrong.push(`#${sequence} ${known ? known.how : "missing"}`);
      } else if (sent && known.digest !== sent.digest) {
        wrong.push(`#${sequence} is ${known.digest}, ${sent.sender} sent ${sent.digest}`);
      }
    }
    const beyond = [...log.keys()].filter(sequence => sequence > last);
    if (beyond.length) {
      wrong.push(`numbers past the last sent, #${last}: ${beyond.join(", ")}`);
    }
    if (member.repeats.length) {
      wrong.push(`sent again after its Ack: ${member.repeats.join(", ")}`);
    }
    if (wrong.length) {
      problems.push(`${member.name} (from #${firstOf(member)}): ${wrong.slice(0, 10).join("; ")}`
        + `${wrong.length > 10 ? `; and ${wrong.length - 10} more` : ""}\n  its queue, last entries:\n${member.recentlyReceived()}`);
    }
  }
  check(problems.length === 0, `the log of group ${hex(groupId)}:\n${problems.join("\n")}`);
  return last;
}

/** Checks that every member has the same epoch authenticator and exporter value (RFC 9420 section 8.5, 8.7). */
export async function checkSecrets(groupId, members) {
  const seen = await Promise.all(members.map(async member =>
    ({ member, epoch: member.epoch(groupId), ...await member.epochSecrets(groupId) })));
  const first = seen[0];
  const differ = seen.filter(s => s.epoch !== first.epoch || s.authenticator !== first.authenticator
    || s.exporter !== first.exporter);
  check(differ.length === 0, `group ${hex(groupId)}: members disagree on the epoch's secrets:\n`
    + seen.map(s => `  ${s.member.name}: epoch ${s.epoch}, authenticator ${s.authenticator.slice(0, 16)}, `
      + `exporter ${s.exporter.slice(0, 16)}`).join("\n"));
}

/**
 * Every client commits (changes(client)) against the same epoch at once, and `meanwhile`, if given,
 * starts at that moment too; returns each one's attempts (what Client.commit returns).
 */
export async function race(clients, groupId, changes, meanwhile = async () => {}) {
  let arrived = 0;
  let release;
  const allReady = new Promise(resolve => { release = resolve; });
  const beforeSend = () => {
    if (++arrived === clients.length) {
      release();
    }
    return allReady;
  };
  const [attempts] = await Promise.all([
    Promise.all(clients.map(client => client.commit(groupId, { ...changes(client), beforeSend }))),
    allReady.then(meanwhile),
  ]);
  return attempts;
}

/** Waits until every client is at `epoch` of the group or later. */
export async function everyoneAt(clients, groupId, epoch) {
  await Promise.all(clients.map(client => client.catchUp(groupId, epoch)));
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
