// Scenario f: what the homeserver refuses from a ts-mls client, with the reason a client developer
// needs: ts-mls's default commit (a PrivateMessage), a commit for a past epoch, a commit adding a
// client without its Welcome, an add of a stranger's client, a KeyPackage with a basic credential.
// After each the group is as it was: the members go on talking at the same epoch.
import { randomUUID } from "node:crypto";
import { createCommit, defaultLifetime, encodeMlsMessage, generateKeyPackageWithKey } from "ts-mls";
import { User, mls } from "../client.mjs";
import { check, checkGroup, connect, expectFailure, readAll, talk } from "../checks.mjs";
import { SUITES, utf8 } from "../credentials.mjs";

export async function refusals({ hs, say }) {
  const kim = await (await User.register(hs, "kim")).newClient();
  const lee = await (await User.register(hs, "lee")).newClient();
  const lee2 = await lee.user.newClient();
  const stranger = await (await User.register(hs, "stranger")).newClient();
  for (const client of [lee, lee2]) {
    await client.publishKeyPackages(1);
  }
  await connect(kim, lee);
  const groupId = await kim.createGroup();
  await kim.commit(groupId, { add: await kim.claim(lee.user.userId, [lee.clientId]) });
  const log = [];
  await talk(groupId, log, 2, [kim, lee]);
  const refused = [];
  const refuse = async (reason, call) => {
    const error = await expectFailure(reason, call);
    refused.push(`${reason}${error.metadata.rule ? ` (${error.metadata.rule})` : ""}`);
    return error;
  };

  const sendCommit = async (state, options, { welcome = true } = {}) => {
    const result = await createCommit({ state, cipherSuite: kim.impl }, options);
    return kim.call("delivery", "Send", {
      commitBundle: {
        commit: encodeMlsMessage(result.commit),
        welcome: welcome && result.welcome ? mls("mls_welcome", { welcome: result.welcome }) : new Uint8Array(),
      },
      idempotencyKey: randomUUID(),
    });
  };
  const stateBefore = kim.group(groupId).state;
  await refuse("WIRE_FORMAT_NOT_ALLOWED", () => sendCommit(stateBefore, {}));
  const [lee2Package] = await kim.claim(lee.user.userId, [lee2.clientId]);
  await refuse("WELCOME_MISMATCH", () => sendCommit(stateBefore,
    { wireAsPublicMessage: true, extraProposals: [{ proposalType: "add", add: { keyPackage: lee2Package.keyPackage } }] },
    { welcome: false }));
  const strangers = { keyPackage: (await stranger.newKeyPackage()).publicPackage };
  const notAllowed = await refuse("ADD_NOT_ALLOWED", () => kim.commit(groupId, { add: [strangers] }));
  check(notAllowed.metadata.client_id === stranger.clientId, `ADD_NOT_ALLOWED names ${notAllowed.metadata.client_id}`);

  await kim.commit(groupId);
  const stale = await refuse("WRONG_EPOCH", () => sendCommit(stateBefore, { wireAsPublicMessage: true }));
  check(BigInt(stale.metadata.current_epoch) === kim.epoch(groupId),
    `WRONG_EPOCH names epoch ${stale.metadata.current_epoch}, the group is at ${kim.epoch(groupId)}`);

  const basic = await generateKeyPackageWithKey({ credentialType: "basic", identity: utf8(lee.clientId) },
    { versions: ["mls10"], ciphersuites: [SUITES[lee.suite].name], extensions: [], proposals: [], credentials: ["basic"] },
    defaultLifetime, [], lee.key, lee.impl);
  const invalid = await refuse("KEY_PACKAGE_INVALID", () => lee.publish([basic]));
  check(invalid.metadata.rule === "KEY_PACKAGE_RULE_CREDENTIAL_INVALID", `a basic credential broke ${invalid.metadata.rule}`);

  await talk(groupId, log, 4, [lee, kim]);
  await readAll(groupId, log, [kim, lee]);
  await checkGroup(groupId, [kim, lee], () => log);
  say(`refused with ${refused.join(", ")}; the group went on at epoch ${kim.epoch(groupId)}`);
}
