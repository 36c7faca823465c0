// A homeserver client built on ts-mls: registration with the auth service, sessions, KeyPackages,
// connections, groups, sending, and reading the queue by Fetch or Listen. Every client keeps a log
// of what it received and a transcript per group, so a failing scenario can say who saw what.
import { createHash, randomBytes, randomUUID } from "node:crypto";
import {
  acceptAll, createApplicationMessage, createCommit, createGroup, createGroupInfoWithExternalPubAndRatchetTree,
  createProposal, decodeMlsMessage, defaultKeyPackageEqualityConfig, defaultKeyRetentionConfig, defaultLifetime,
  defaultLifetimeConfig, defaultPaddingConfig, emptyPskIndex, encodeMlsMessage, generateKeyPackageWithKey,
  getCiphersuiteFromName, getCiphersuiteImpl, joinGroup, joinGroupExternal, mlsExporter, processMessage,
} from "ts-mls";
import { makeKeyPackageRef } from "ts-mls/keyPackage.js";
import { signLeafNodeCommit } from "ts-mls/leafNode.js";
import { updateLeafKey } from "ts-mls/privateKeyPath.js";
import { decodeRatchetTree } from "ts-mls/ratchetTree.js";
import { AuthenticationRoots, RootsByDomain, SUITES, clientIdOf, newSignatureKey, signPair, utf8 } from "./credentials.mjs";
import { ApiError } from "./rpc.mjs";

const LAST_RESORT = 0x000a;
const WAIT_MS = 60_000;

export const hex = bytes => Buffer.from(bytes).toString("hex");
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));
const idempotencyKey = () => randomUUID();

/**
 * Whether a stream ended because its connection was lost rather than by the homeserver's answer:
 * UNAVAILABLE, or the HTTP/2 stream reset that a gateway passes on when the process behind it dies.
 */
const lostConnection = error => error.code === "UNAVAILABLE"
  || (error.code === "INTERNAL" && /RST_STREAM/.test(error.message));

/** The MLSMessage bytes of a ts-mls message body, e.g. mls("mls_welcome", { welcome }). */
export function mls(wireformat, body) {
  return encodeMlsMessage({ version: "mls10", wireformat, ...body });
}

function decodeMls(bytes) {
  const decoded = decodeMlsMessage(new Uint8Array(bytes), 0);
  if (!decoded) {
    throw new Error(`ts-mls cannot decode ${bytes.length} bytes as an MLSMessage`);
  }
  return decoded[0];
}

const suiteImpls = new Map();
async function suiteImpl(suite) {
  if (!suiteImpls.has(suite)) {
    suiteImpls.set(suite, await getCiphersuiteImpl(getCiphersuiteFromName(SUITES[suite].name)));
  }
  return suiteImpls.get(suite);
}

/** A registered user (handle and password) who can register clients. */
export class User {
  constructor(hs, handle, password, userId) {
    Object.assign(this, { hs, handle, password, userId, clients: [] });
  }

  /** Registers `name` plus a random suffix, so a scenario can run again on the same homeserver. */
  static async register(hs, name) {
    const handle = `${name}-${randomBytes(4).toString("hex")}`;
    const password = `password-${randomUUID()}`;
    const { userId } = await hs.call("auth", "RegisterUser", { handle, password });
    return new User(hs, handle, password, userId);
  }

  /** Registers a new client of this user for the suite's signature scheme and signs it in. */
  async newClient({ suite = 1, label = `client ${this.clients.length + 1}` } = {}) {
    const impl = await suiteImpl(suite);
    const key = await newSignatureKey(suite, impl);
    const proof = await signPair(key, impl, "homeserver client registration", utf8(this.userId), key.publicKey);
    const registered = await this.hs.call("auth", "RegisterClient", {
      handle: this.handle, password: this.password, signatureScheme: SUITES[suite].scheme,
      signaturePublicKey: key.publicKey, proofOfPossession: proof, idempotencyKey: idempotencyKey(), label,
    });
    const roots = await this.hs.call("auth", "GetAuthenticationRoots", {});
    const client = new Client(this, {
      suite, impl, key, clientId: registered.clientId, label,
      credential: { credentialType: "x509", certificates: registered.certificateChain.map(der => new Uint8Array(der)) },
      roots: new AuthenticationRoots(roots.domain, roots.rootCertificates),
    });
    await client.signIn();
    this.clients.push(client);
    return client;
  }
}

/** One client (device): its keys, token, KeyPackages, groups and queue. */
export class Client {
  constructor(user, { suite, impl, key, clientId, label, credential, roots }) {
    Object.assign(this, { user, hs: user.hs, suite, impl, key, clientId, credential, roots });
    this.name = `${user.handle}/${label}`;
    this.config = {
      keyRetentionConfig: defaultKeyRetentionConfig, lifetimeConfig: defaultLifetimeConfig,
      keyPackageEqualityConfig: defaultKeyPackageEqualityConfig, paddingConfig: defaultPaddingConfig,
      // Members of other domains are checked against their domain's roots, fetched through this
      // client's own homeserver; `roots` stays the own domain's alone.
      authService: new RootsByDomain(roots, domain => this.rootsOf(domain)),
    };
    this.keyPackages = new Map();   // KeyPackageRef hex -> { publicPackage, privatePackage, lastResort }
    this.groups = new Map();        // group id hex -> Group
    this.events = [];               // ServerEvents received, in order
    this.received = [];             // one line per queue entry handled, for failure reports
    // The highest sequence handled in the own queue (Welcomes and events) and in each group's log
    // (group id hex -> sequence): an entry at or below it was handled already and is skipped when the
    // homeserver sends it again (it does, until it is acknowledged).
    this.ownHandled = 0n;
    this.groupHandled = new Map();
    this.unacked = new Set();       // positions handled past since the last Ack: "own" or a group id hex
    this.acked = new Map();         // position -> the sequence the homeserver confirmed an Ack up to
    this.repeats = [];              // entries sent again though acknowledged: a homeserver's fault
    // What this client knows of each group's log (group id hex -> sequence -> { digest, how }): the
    // messages it sent ("sent") and those it received ("processed", or "ignored" from before it joined).
    this.logs = new Map();
    this.stream = null;
    this.failure = null;
  }

  // --- auth ---

  async signIn() {
    const challenge = await this.hs.call("auth", "CreateChallenge", { clientId: this.clientId });
    const signature = await signPair(this.key, this.impl, "homeserver session", utf8(this.clientId), challenge.nonce);
    const session = await this.hs.call("auth", "CreateSession",
      { clientId: this.clientId, challengeId: challenge.challengeId, signature });
    this.token = session.accessToken;
    // Renewed once three quarters of its lifetime have passed.
    this.tokenRenewAt = Date.now() + (Number(session.expiresAt.seconds) * 1000 - Date.now()) * 0.75;
  }

  /** An authenticated call; a token about to expire is renewed first. */
  async call(service, method, request) {
    if (Date.now() >= this.tokenRenewAt) {
      await this.signIn();
    }
    return this.hs.call(service, method, request, this.token);
  }

  /** The AS roots of another domain, through this client's own homeserver. */
  async rootsOf(domain) {
    const { domain: of, rootCertificates } = await this.call("auth", "GetAuthenticationRoots", { domain });
    if (of !== domain) {
      throw new Error(`${this.name} asked for the AS roots of ${domain} and got those of ${of}`);
    }
    return new AuthenticationRoots(domain, rootCertificates);
  }

  // --- KeyPackages ---

  /**
   * A new KeyPackage with this client's AS credential. Without `capabilities` it lists exactly this
   * suite, x509 and (for a last-resort one) the last_resort extension; without `lifetime` it is
   * valid for ever.
   */
  async newKeyPackage({ capabilities, lastResort = false, lifetime = defaultLifetime } = {}) {
    const suiteName = SUITES[this.suite].name;
    const kp = await generateKeyPackageWithKey(this.credential,
      capabilities ?? {
        versions: ["mls10"], ciphersuites: [suiteName], extensions: lastResort ? [LAST_RESORT] : [],
        proposals: [], credentials: ["x509"],
      },
      lifetime, lastResort ? [{ extensionType: LAST_RESORT, extensionData: new Uint8Array() }] : [],
      this.key, this.impl);
    this.keyPackages.set(hex(await makeKeyPackageRef(kp.publicPackage, this.impl.hash)), { ...kp, lastResort });
    return kp;
  }

  /** Publishes `count` new KeyPackages (and a last-resort one if asked). */
  async publishKeyPackages(count, { lastResort = false } = {}) {
    const packages = [];
    for (let i = 0; i < count; i++) {
      packages.push(await this.newKeyPackage());
    }
    if (lastResort) {
      packages.push(await this.newKeyPackage({ lastResort: true }));
    }
    return this.publish(packages);
  }

  /** Publishes KeyPackages made with newKeyPackage. */
  publish(packages) {
    return this.call("keypackage", "PublishKeyPackages", {
      keyPackages: packages.map(kp => mls("mls_key_package", { keyPackage: kp.publicPackage })),
      idempotencyKey: idempotencyKey(),
    });
  }

  /** Claims one KeyPackage per client of `userId` for this client's suite: [{ clientId, keyPackage }]. */
  async claim(userId, clientIds = []) {
    const response = await this.call("keypackage", "ClaimKeyPackages",
      { userId, cipherSuite: this.suite, clientIds, idempotencyKey: idempotencyKey() });
    return response.keyPackages.map(claimed => {
      const message = decodeMls(claimed.keyPackage);
      if (message.wireformat !== "mls_key_package") {
        throw new Error(`${this.name} claimed a ${message.wireformat}, not a KeyPackage, of ${claimed.clientId}`);
      }
      return { clientId: claimed.clientId, keyPackage: message.keyPackage };
    });
  }

  // --- groups ---

  group(groupId) {
    const group = this.groups.get(hex(groupId));
    if (!group) {
      throw new Error(`${this.name} is not in group ${hex(groupId)}; it received:\n${this.recentlyReceived()}`);
    }
    return group;
  }

  isMember(groupId) {
    const group = this.groups.get(hex(groupId));
    return group !== undefined && !group.removed;
  }

  /** Creates a group of this client's suite on the homeserver and in ts-mls; returns its id. */
  async createGroup() {
    const groupId = new Uint8Array(randomBytes(16));
    const kp = await this.newKeyPackage();
    const state = await createGroup(groupId, kp.publicPackage, kp.privatePackage, [], this.impl, this.config);
    await this.call("delivery", "CreateGroup", {
      groupId, cipherSuite: this.suite, groupInfo: await this.groupInfo(state), idempotencyKey: idempotencyKey(),
    });
    this.groups.set(hex(groupId), new Group(groupId, state));
    return groupId;
  }

  /**
   * Commits adds (claimed KeyPackages) and removes (client ids) with a Welcome and the next epoch's
   * GroupInfo. A commit another member got in first (WRONG_EPOCH) is thrown away: this client
   * catches up to the epoch the server named and commits again, leaving out removals someone else
   * already made. `beforeSend`, if given, is awaited once the first commit is made, before it is
   * sent (so several clients can send theirs at the same moment). Returns how many attempts it took;
   * with `retry` false it makes one attempt and, having lost, catches up and returns 0.
   */
  async commit(groupId, { add = [], remove = [], beforeSend, retry = true } = {}) {
    for (let attempt = 1; ; attempt++) {
      const group = this.group(groupId);
      const leaves = leafIndexes(group.state);
      const proposals = [
        ...add.map(claimed => ({ proposalType: "add", add: { keyPackage: claimed.keyPackage } })),
        ...remove.filter(clientId => leaves.has(clientId))
          .map(clientId => ({ proposalType: "remove", remove: { removed: leaves.get(clientId) } })),
      ];
      const result = await createCommit({ state: group.state, cipherSuite: this.impl },
        { extraProposals: proposals, wireAsPublicMessage: true, ratchetTreeExtension: true });
      const commitBundle = {
        commit: encodeMlsMessage(result.commit),
        welcome: result.welcome ? mls("mls_welcome", { welcome: result.welcome }) : new Uint8Array(),
        groupInfo: await this.groupInfo(result.newState),
      };
      if (attempt === 1) {
        await beforeSend?.();
      }
      try {
        await this.send(groupId, commitBundle.commit, { commitBundle });
        group.state = result.newState;
        return attempt;
      } catch (error) {
        if (error.reason !== "WRONG_EPOCH") {
          throw error;
        }
        await this.catchUp(groupId, BigInt(error.metadata.current_epoch));
        if (!retry) {
          return 0;
        }
      }
    }
  }

  /** Sends a proposal as a PublicMessage; it waits in ts-mls until some member commits it. */
  async propose(groupId, proposal) {
    const group = this.group(groupId);
    const result = await createProposal(group.state, true, proposal, this.impl);
    const mlsMessage = encodeMlsMessage(result.message);
    await this.send(groupId, mlsMessage, { mlsMessage });
    group.state = result.newState;
  }

  /**
   * Proposes an Update of this client's own leaf: a new encryption key, signed for its leaf (ts-mls
   * has no call for it). ts-mls follows a commit of the Update only with the new leaf's private key
   * in place of the old, which is installed at once: so the next commit must take the Update, as
   * every ts-mls commit takes the proposals pending. Returns the new leaf node.
   */
  async proposeUpdate(groupId) {
    const { state } = this.group(groupId);
    const own = state.ratchetTree[2 * state.privatePath.leafIndex].leaf;
    const keys = await this.impl.hpke.generateKeyPair();
    const leafNode = await signLeafNode({
      leafNodeSource: "update", hpkePublicKey: await this.impl.hpke.exportPublicKey(keys.publicKey),
      signaturePublicKey: own.signaturePublicKey, credential: own.credential, capabilities: own.capabilities,
      extensions: own.extensions,
    }, state, this.impl);
    await this.propose(groupId, { proposalType: "update", update: { leafNode } });
    const group = this.group(groupId);
    group.state = {
      ...group.state,
      privatePath: updateLeafKey(group.state.privatePath, await this.impl.hpke.exportPrivateKey(keys.privateKey)),
    };
    return leafNode;
  }

  /**
   * Joins a group by external commit through the GroupInfo the homeserver keeps, with the ratchet
   * tree it serves when the GroupInfo carries none. With `resync` a client that lost its state of
   * the group rejoins: the commit also removes its old leaf.
   */
  async joinExternally(groupId, { resync = false } = {}) {
    // The GroupInfo of a group hosted elsewhere comes from this client's homeserver's copy, which
    // can trail the hub by a commit in transit: a WRONG_EPOCH answer names the hub's epoch, and the
    // join is made again once the copy has it.
    for (let attempt = 1; ; attempt++) {
      const { groupInfo, ratchetTree } = await this.call("delivery", "GetGroupInfo", { groupId });
      const message = decodeMls(groupInfo);
      const tree = ratchetTree?.length ? decodeRatchetTree(new Uint8Array(ratchetTree), 0)?.[0] : undefined;
      const kp = await this.newKeyPackage();
      const joined = await joinGroupExternal(message.groupInfo, kp.publicPackage, kp.privatePackage, resync,
        this.impl, tree, this.config);
      const commit = mls("mls_public_message", { publicMessage: joined.publicMessage });
      try {
        await this.send(groupId, commit, { commitBundle: { commit, groupInfo: await this.groupInfo(joined.newState) } });
      } catch (error) {
        if (error.reason !== "WRONG_EPOCH" || attempt >= 20) {
          throw error;
        }
        const wanted = BigInt(error.metadata.current_epoch);
        const deadline = Date.now() + WAIT_MS;
        while (BigInt((await this.call("delivery", "GetGroupInfo", { groupId })).epoch) < wanted) {
          if (Date.now() > deadline) {
            throw new Error(`${this.name} waited ${WAIT_MS / 1000} s for the GroupInfo of epoch ${wanted}`);
          }
          await sleep(20);
        }
        continue;
      }
      this.groups.set(hex(groupId), new Group(groupId, joined.newState));
      return;
    }
  }

  /** Encrypts `text` for the group and sends it; returns the transcript line it becomes (with its log sequence). */
  async sendText(groupId, text, { noNotification = false } = {}) {
    const group = this.group(groupId);
    const line = { from: this.clientId, text };
    let epoch;
    const result = await group.change(state => {
      epoch = state.groupContext.epoch;
      return createApplicationMessage(state, utf8(JSON.stringify(line)), this.impl);
    });
    const mlsMessage = mls("mls_private_message", { privateMessage: result.privateMessage });
    const response = await this.send(groupId, mlsMessage, { mlsMessage, noNotification });
    // The sender does not receive its own message; the response tells it the message's number in the
    // group's log, which the other members see on the entry.
    const sent = { ...line, epoch, sequence: BigInt(response.sequence) };
    group.transcript.push(sent);
    return sent;
  }

  /** Sends `mlsMessage` (alone or in the request's commit bundle) and notes it at its number in the group's log. */
  async send(groupId, mlsMessage, request) {
    const response = await this.call("delivery", "Send", { ...request, idempotencyKey: idempotencyKey() });
    this.noteLog(groupId, BigInt(response.sequence), mlsMessage, "sent");
    return response;
  }

  /**
   * Notes the message at `sequence` of the group's log; the homeserver naming another message, or
   * one this client sent, at a number it already knows is a failure.
   */
  noteLog(groupId, sequence, mlsMessage, how) {
    const log = this.logOf(groupId);
    const digest = createHash("sha256").update(mlsMessage).digest("hex").slice(0, 16);
    const known = log.get(sequence);
    if (known && (known.digest !== digest || known.how === "sent")) {
      throw new Error(`${this.name} got message ${digest} as #${sequence} of group ${hex(groupId)}, which is `
        + `${known.how === "sent" ? "its own" : "another"} message ${known.digest}`);
    }
    log.set(sequence, { digest, how });
  }

  /** What this client knows of the group's log: sequence -> { digest, how }. */
  logOf(groupId) {
    if (!this.logs.has(hex(groupId))) {
      this.logs.set(hex(groupId), new Map());
    }
    return this.logs.get(hex(groupId));
  }

  /** The epoch authenticator and an exporter value of this client's current epoch of the group, in hex. */
  async epochSecrets(groupId) {
    const { keySchedule } = this.group(groupId).state;
    const exporter = await mlsExporter(keySchedule.exporterSecret, "homeserver interop", new Uint8Array(), 32, this.impl);
    return { authenticator: hex(keySchedule.epochAuthenticator), exporter: hex(exporter) };
  }

  async groupInfo(state) {
    return mls("mls_group_info", { groupInfo: await createGroupInfoWithExternalPubAndRatchetTree(state, [], this.impl) });
  }

  /** The member map ts-mls's tree gives (leaf index -> client id, from each leaf's credential). */
  memberMap(groupId) {
    return [...leafIndexes(this.group(groupId).state)]
      .map(([clientId, leafIndex]) => ({ leafIndex, clientId }))
      .sort((a, b) => a.leafIndex - b.leafIndex);
  }

  epoch(groupId) {
    return this.group(groupId).state.groupContext.epoch;
  }

  // --- the queue ---

  /**
   * Reads everything not yet acknowledged with Fetch, in pages of `limit` (each page continues after
   * the one before through its page token), handles each entry in order and acknowledges what it
   * handled after each page. Returns how many pages it read.
   */
  async fetchAll({ limit = 1000 } = {}) {
    let pages = 0;
    let pageToken = new Uint8Array();   // empty: from the first entry not acknowledged
    for (; ;) {
      const page = await this.call("delivery", "Fetch", { limit, pageToken });
      pages++;
      for (const entry of page.entries) {
        await this.handle(entry);
      }
      await this.ack();
      if (!page.hasMore) {
        return pages;
      }
      pageToken = page.nextPageToken;
    }
  }

  /**
   * Acknowledges the positions handled past since the last Ack: the own queue's and each group's
   * that moved. Nothing to acknowledge, no call.
   */
  async ack() {
    if (this.unacked.size === 0) {
      return;
    }
    const request = { upToSequence: "0", groups: [] };
    const upTo = new Map();
    for (const position of this.unacked) {
      const upToSequence = position === "own" ? this.ownHandled : this.groupHandled.get(position);
      upTo.set(position, upToSequence);
      if (position === "own") {
        request.upToSequence = String(upToSequence);
      } else {
        request.groups.push({ groupId: Buffer.from(position, "hex"), upToSequence: String(upToSequence) });
      }
    }
    this.unacked.clear();
    await this.call("delivery", "Ack", request);
    upTo.forEach((sequence, position) => this.acked.set(position, sequence));
  }

  /**
   * Opens a Listen stream, which starts after what this client acknowledged; entries are handled in
   * order as they come and acknowledged in batches. A stream ended by an expired token is opened
   * again with a new one, and one whose connection was lost is opened again (it sends again what was
   * not acknowledged yet, which handle skips).
   */
  startListening() {
    let handled = Promise.resolve();
    let ackTimer = null;
    this.live = false;
    this.stream = this.hs.listen({ maxUnacked: 1000 }, this.token);
    this.stream.on("data", item => {
      handled = handled.then(async () => {
        if (item.item === "entry") {
          await this.handle(item.entry);
          ackTimer ??= setTimeout(() => {
            ackTimer = null;
            this.ack().catch(error => { this.failure ??= error; });
          }, 20);
        } else if (item.item === "queueEmpty") {
          this.live = true;
        }
      }).catch(error => { this.failure ??= error; });
    });
    this.stream.on("error", error => {
      const ended = new ApiError("delivery.Listen", error);
      if (ended.code === "CANCELLED") {
        return;   // stopListening
      }
      if (ended.reason === "TOKEN_EXPIRED") {
        handled.then(() => this.signIn()).then(() => this.startListening()).catch(e => { this.failure ??= e; });
        return;
      }
      if (lostConnection(ended)) {
        // The process serving the stream went away: the gateway opens the next one on another.
        console.log(`  (${this.name}'s Listen stream was cut: ${ended.message}; opening it again)`);
        handled.then(() => this.startListening()).catch(e => { this.failure ??= e; });
        return;
      }
      this.failure ??= ended;
    });
  }

  stopListening() {
    this.stream?.cancel();
    this.stream = null;
  }

  /**
   * Brings this client's state of the group to `epoch` (joining it first if a Welcome is on the
   * way): fetches, or waits for its Listen stream.
   */
  async catchUp(groupId, epoch) {
    await this.until(() => this.isMember(groupId) && this.epoch(groupId) >= epoch,
      `epoch ${epoch} of group ${hex(groupId)}`);
  }

  /** Waits until `condition` holds, reading the queue meanwhile unless a Listen stream does. */
  async until(condition, what, timeoutMs = WAIT_MS) {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (this.failure) {
        throw new Error(`${this.name} failed while waiting for ${what}: ${this.failure.stack ?? this.failure}`);
      }
      if (Date.now() > deadline) {
        throw new Error(`${this.name} waited ${timeoutMs / 1000} s for ${what}; it received:\n${this.recentlyReceived()}`);
      }
      if (this.stream) {
        await sleep(10);
      } else {
        await this.fetchAll();
        if (!condition()) {
          await sleep(20);
        }
      }
    }
  }

  /**
   * Handles one queue entry: processes MLS messages, joins on a Welcome, records events. A group
   * message's sequence is its number in that group's log, any other's in this client's own queue;
   * an entry at or below the highest handled there is one sent again, and skipped.
   */
  async handle(entry) {
    const sequence = BigInt(entry.sequence);
    const position = entry.content === "message" ? hex(entry.message.groupId) : "own";
    const label = position === "own" ? `own #${sequence}` : `${position.slice(0, 8)} #${sequence}`;
    const handledUpTo = position === "own" ? this.ownHandled : (this.groupHandled.get(position) ?? 0n);
    if (sequence <= handledUpTo) {
      this.received.push(`${label} again (handled up to ${handledUpTo}): skipped`);
      if (entry.content === "message") {
        // The same message it handled; a number it never handled is one the homeserver skipped before.
        const known = this.logOf(entry.message.groupId).get(sequence);
        this.noteLog(entry.message.groupId, sequence, entry.message.mlsMessage, known?.how ?? "skipped");
      }
      if (sequence <= (this.acked.get(position) ?? 0n)) {
        this.repeats.push(`${label} (acknowledged up to ${this.acked.get(position)})`);
      }
      return;
    }
    try {
      const outcome = entry.content === "message" ? await this.handleMessage(entry.message, sequence)
        : entry.content === "welcome" ? await this.handleWelcome(entry.welcome)
          : this.handleEvent(entry.event);
      this.received.push(`${label} ${outcome}`);
    } catch (error) {
      this.received.push(`${label} ${entry.content}: FAILED ${error.message}`);
      throw new Error(`${this.name} could not handle queue entry ${label} (${entry.content}): ${error.message}\n`
        + `it received:\n${this.recentlyReceived()}`, { cause: error });
    }
    if (position === "own") {
      this.ownHandled = sequence;
    } else {
      this.groupHandled.set(position, sequence);
    }
    this.unacked.add(position);
  }

  async handleMessage({ groupId, epoch, mlsMessage }, sequence) {
    const group = this.groups.get(hex(groupId));
    const what = `message of ${hex(groupId).slice(0, 8)} epoch ${epoch}`;
    if (!group || BigInt(epoch) < group.joinedAt) {
      this.noteLog(groupId, sequence, mlsMessage, "ignored");
      return `${what}: ignored, ${group ? `before joining at epoch ${group.joinedAt}` : "not a member"}`;
    }
    this.noteLog(groupId, sequence, mlsMessage, "processed");
    const message = decodeMls(mlsMessage);
    const result = await group.change(state => processMessage(message, state, emptyPskIndex, acceptAll, this.impl));
    if (result.kind === "applicationMessage") {
      const line = JSON.parse(new TextDecoder().decode(result.message));
      group.transcript.push({ ...line, epoch: BigInt(epoch), sequence });
      return `${what}: "${line.text}" from ${line.from}`;
    }
    if (group.state.groupActiveState.kind === "removedFromGroup") {
      group.removed = true;
      return `${what}: removed from the group`;
    }
    return `${what}: ${message.wireformat} -> epoch ${group.state.groupContext.epoch}`;
  }

  async handleWelcome({ groupId, welcome }) {
    const message = decodeMls(welcome);
    const secret = message.welcome.secrets.find(s => this.keyPackages.has(hex(s.newMember)));
    if (!secret) {
      throw new Error(`a Welcome into ${hex(groupId)} names none of this client's KeyPackages`);
    }
    const ref = hex(secret.newMember);
    const kp = this.keyPackages.get(ref);
    const state = await joinGroup(message.welcome, kp.publicPackage, kp.privatePackage, emptyPskIndex, this.impl,
      undefined, undefined, this.config);
    if (!kp.lastResort) {
      this.keyPackages.delete(ref);
    }
    this.groups.set(hex(groupId), new Group(groupId, state));
    return `Welcome into ${hex(groupId).slice(0, 8)} at epoch ${state.groupContext.epoch}`;
  }

  handleEvent(event) {
    this.events.push(event);
    return `event ${event.event} ${JSON.stringify(event[event.event])}`;
  }

  recentlyReceived(count = 15) {
    const lines = this.received.slice(-count);
    return (this.received.length > count ? `  ... ${this.received.length - count} earlier\n` : "")
      + (lines.length ? lines.map(line => `  ${line}`).join("\n") : "  nothing");
  }
}

/**
 * `leaf` signed for the leaf of the member whose state `state` is, with its key unless `signKey`:
 * RFC 9420 section 7.2's LeafNodeTBS, which for an update or commit source names the group and the
 * leaf index.
 */
export function signLeafNode(leaf, state, cs, signKey = state.signaturePrivateKey) {
  const tbs = { ...leaf, groupId: state.groupContext.groupId, leafIndex: state.privatePath.leafIndex };
  return signLeafNodeCommit(tbs, signKey, cs.signature);   // signs any LeafNodeTBS
}

/** What one client knows of one group. */
class Group {
  constructor(id, state) {
    this.id = id;
    this.state = state;
    this.joinedAt = state.groupContext.epoch;
    this.transcript = [];    // { from, text, epoch, sequence } in the order this client saw them
    this.removed = false;
  }

  /**
   * Replaces the state by what `step(state)` (a ts-mls call) makes of it, and returns step's result.
   * A Listen stream handles entries while the client sends: a step the state changed under while it
   * ran is taken again on the new state, rather than putting back the old one with its own change.
   */
  async change(step) {
    for (; ;) {
      const state = this.state;
      const result = await step(state);
      if (this.state === state) {
        this.state = result.newState;
        return result;
      }
    }
  }
}

/** client id -> leaf index, from the credentials in a ts-mls ratchet tree. */
function leafIndexes(state) {
  const leaves = new Map();
  state.ratchetTree.forEach((node, nodeIndex) => {
    if (node?.nodeType === "leaf") {
      leaves.set(clientIdOf(node.leaf.credential.certificates[0]), nodeIndex / 2);
    }
  });
  return leaves;
}
