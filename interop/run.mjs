#!/usr/bin/env node
// Runs interoperability scenarios against a homeserver with ts-mls as the MLS implementation.
//   node run.mjs --target homeserver.example.org:7400 [--ca ca.pem | --plaintext] [--scenario connection] ...
//                [--peer-target other.example.org:7400] [--third-target third.example.org:7400]
// The connection is TLS, the certificate checked against the target's host name and the system's
// roots, or the CA certificate in --ca (PEM); --plaintext is for a server without TLS. The federated
// scenarios need more homeservers, reached the same way and federating with the target and each
// other: --peer-target a second one (federated-connection, federated-big-group, federated-offline),
// --third-target a third one as well (federated-group). Without --scenario every scenario runs whose
// homeservers are given. Exit status 0 when all pass; a failure prints which client saw what.
import { parseArgs } from "node:util";
import { channelCredentials, Homeserver } from "./src/rpc.mjs";
import { bigGroup, federatedBigGroup } from "./src/scenarios/big-group.mjs";
import { connection } from "./src/scenarios/connection.mjs";
import { federatedConnection } from "./src/scenarios/federated-connection.mjs";
import { federatedGroup } from "./src/scenarios/federated-group.mjs";
import { filtering } from "./src/scenarios/filtering.mjs";
import { grease } from "./src/scenarios/grease.mjs";
import { federatedOffline, offline } from "./src/scenarios/offline.mjs";
import { refusals } from "./src/scenarios/refusals.mjs";
import { suites } from "./src/scenarios/suites.mjs";

const SCENARIOS = { connection, "big-group": bigGroup, offline, grease, suites, refusals, filtering };
// Each federated scenario with the options naming the homeservers it needs besides the target.
const FEDERATED = {
  "federated-connection": { run: federatedConnection, needs: ["peer-target"] },
  "federated-big-group": { run: federatedBigGroup, needs: ["peer-target"] },
  "federated-offline": { run: federatedOffline, needs: ["peer-target"] },
  "federated-group": { run: federatedGroup, needs: ["peer-target", "third-target"] },
};

const { values } = parseArgs({
  options: {
    target: { type: "string", default: "127.0.0.1:7400" },
    ca: { type: "string" },
    plaintext: { type: "boolean", default: false },
    "peer-target": { type: "string" },
    "third-target": { type: "string" },
    scenario: { type: "string", multiple: true },
  },
});
if (values.ca && values.plaintext) {
  console.error("--ca is for TLS and --plaintext is without it: give one or neither");
  process.exit(2);
}
const missing = name => (FEDERATED[name]?.needs ?? []).filter(option => !values[option]);
const known = { ...SCENARIOS, ...Object.fromEntries(Object.entries(FEDERATED).map(([name, { run }]) => [name, run])) };
const chosen = values.scenario ?? Object.keys(known).filter(name => missing(name).length === 0);
const unknown = chosen.filter(name => !known[name]);
if (unknown.length) {
  console.error(`unknown scenario ${unknown.join(", ")}; known: ${Object.keys(known).join(", ")}`);
  process.exit(2);
}
const unready = chosen.filter(name => missing(name).length);
if (unready.length) {
  console.error(unready.map(name => `${name} needs --${missing(name).join(" and --")}`).join("; "));
  process.exit(2);
}

const hs = new Homeserver(values.target, channelCredentials(values));
const { domain } = await hs.call("auth", "GetServerInfo", {});
/** The homeserver an option names, with its domain; null without the option. */
async function homeserverOf(option) {
  if (!values[option]) {
    return null;
  }
  const other = new Homeserver(values[option], channelCredentials(values));
  return { hs: other, domain: (await other.call("auth", "GetServerInfo", {})).domain };
}
const peer = await homeserverOf("peer-target");
const third = await homeserverOf("third-target");
let failed = 0;
for (const name of chosen) {
  const started = Date.now();
  const say = line => console.log(`  ${name}: ${line}`);
  try {
    await known[name]({ hs, domain, peer, third, say });
    console.log(`scenario ${name}: passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (error) {
    failed++;
    console.log(`scenario ${name}: FAILED after ${((Date.now() - started) / 1000).toFixed(1)} s\n${error.stack ?? error}`);
  }
}
hs.close();
peer?.hs.close();
third?.hs.close();
process.exit(failed ? 1 : 0);
