#!/usr/bin/env node
// Runs interoperability scenarios against a homeserver with ts-mls as the MLS implementation.
//   node run.mjs --target homeserver.example.org:7400 [--ca ca.pem | --plaintext] [--scenario connection] ...
//                [--peer-target other.example.org:7400]
// The connection is TLS, the certificate checked against the target's host name and the system's
// roots, or the CA certificate in --ca (PEM); --plaintext is for a server without TLS. Without
// --scenario every scenario runs (the federated ones only with --peer-target: a second homeserver,
// federating with the first, reached the same way). Exit status 0 when all pass; a failure prints
// which client saw what.
import { parseArgs } from "node:util";
import { channelCredentials, Homeserver } from "./src/rpc.mjs";
import { bigGroup } from "./src/scenarios/big-group.mjs";
import { connection } from "./src/scenarios/connection.mjs";
import { federatedConnection } from "./src/scenarios/federated-connection.mjs";
import { filtering } from "./src/scenarios/filtering.mjs";
import { grease } from "./src/scenarios/grease.mjs";
import { offline } from "./src/scenarios/offline.mjs";
import { refusals } from "./src/scenarios/refusals.mjs";
import { suites } from "./src/scenarios/suites.mjs";

const SCENARIOS = { connection, "big-group": bigGroup, offline, grease, suites, refusals, filtering };
const FEDERATED = { "federated-connection": federatedConnection };

const { values } = parseArgs({
  options: {
    target: { type: "string", default: "127.0.0.1:7400" },
    ca: { type: "string" },
    plaintext: { type: "boolean", default: false },
    "peer-target": { type: "string" },
    scenario: { type: "string", multiple: true },
  },
});
if (values.ca && values.plaintext) {
  console.error("--ca is for TLS and --plaintext is without it: give one or neither");
  process.exit(2);
}
const known = { ...SCENARIOS, ...FEDERATED };
const chosen = values.scenario ?? Object.keys(values["peer-target"] ? known : SCENARIOS);
const unknown = chosen.filter(name => !known[name]);
if (unknown.length) {
  console.error(`unknown scenario ${unknown.join(", ")}; known: ${Object.keys(known).join(", ")}`);
  process.exit(2);
}

const hs = new Homeserver(values.target, channelCredentials(values));
const { domain } = await hs.call("auth", "GetServerInfo", {});
let peer = null;
if (values["peer-target"]) {
  const peerHs = new Homeserver(values["peer-target"], channelCredentials(values));
  peer = { hs: peerHs, domain: (await peerHs.call("auth", "GetServerInfo", {})).domain };
}
let failed = 0;
for (const name of chosen) {
  const started = Date.now();
  const say = line => console.log(`  ${name}: ${line}`);
  try {
    await known[name]({ hs, domain, peer, say });
    console.log(`scenario ${name}: passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (error) {
    failed++;
    console.log(`scenario ${name}: FAILED after ${((Date.now() - started) / 1000).toFixed(1)} s\n${error.stack ?? error}`);
  }
}
hs.close();
peer?.hs.close();
process.exit(failed ? 1 : 0);
