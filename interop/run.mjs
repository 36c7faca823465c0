#!/usr/bin/env node
// Runs interoperability scenarios against a homeserver with ts-mls as the MLS implementation.
//   node run.mjs --target homeserver.example.org:7400 [--ca ca.pem | --plaintext] [--scenario connection] ...
// The connection is TLS, the certificate checked against the target's host name and the system's
// roots, or the CA certificate in --ca (PEM); --plaintext is for a server without TLS. Without
// --scenario every scenario runs. Exit status 0 when all pass; a failure prints which client saw what.
import { parseArgs } from "node:util";
import { channelCredentials, Homeserver } from "./src/rpc.mjs";
import { bigGroup } from "./src/scenarios/big-group.mjs";
import { connection } from "./src/scenarios/connection.mjs";
import { filtering } from "./src/scenarios/filtering.mjs";
import { grease } from "./src/scenarios/grease.mjs";
import { offline } from "./src/scenarios/offline.mjs";
import { refusals } from "./src/scenarios/refusals.mjs";
import { suites } from "./src/scenarios/suites.mjs";

const SCENARIOS = { connection, "big-group": bigGroup, offline, grease, suites, refusals, filtering };

const { values } = parseArgs({
  options: {
    target: { type: "string", default: "127.0.0.1:7400" },
    ca: { type: "string" },
    plaintext: { type: "boolean", default: false },
    scenario: { type: "string", multiple: true, default: Object.keys(SCENARIOS) },
  },
});
if (values.ca && values.plaintext) {
  console.error("--ca is for TLS and --plaintext is without it: give one or neither");
  process.exit(2);
}
const unknown = values.scenario.filter(name => !SCENARIOS[name]);
if (unknown.length) {
  console.error(`unknown scenario ${unknown.join(", ")}; known: ${Object.keys(SCENARIOS).join(", ")}`);
  process.exit(2);
}

const hs = new Homeserver(values.target, channelCredentials(values));
const { domain } = await hs.call("auth", "GetServerInfo", {});
let failed = 0;
for (const name of values.scenario) {
  const started = Date.now();
  const say = line => console.log(`  ${name}: ${line}`);
  try {
    await SCENARIOS[name]({ hs, domain, say });
    console.log(`scenario ${name}: passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (error) {
    failed++;
    console.log(`scenario ${name}: FAILED after ${((Date.now() - started) / 1000).toFixed(1)} s\n${error.stack ?? error}`);
  }
}
hs.close();
process.exit(failed ? 1 : 0);
